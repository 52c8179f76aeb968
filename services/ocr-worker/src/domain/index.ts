export { Extractor, isPdfMimeType, toResult, type ExtractionPlan } from './document.extractor';
export { ExtractionError, isExtractionError, type OcrFailureReason } from './extraction.errors';
export type {
  ExtractedPage,
  ExtractionInput,
  ExtractionMethod,
  ExtractionProgress,
  ExtractionResult,
  ExtractOptions,
  ExtractorOptions,
  OcrEngineKind,
  ProgressListener,
} from './extraction.types';
