export { Extractor } from './document.extractor';
export { ExtractionError, isExtractionError, type OcrFailureReason } from './extraction.errors';
export type {
  ExtractedPage,
  ExtractionInput,
  ExtractionMethod,
  ExtractionProgress,
  ExtractionResult,
  ExtractOptions,
  ExtractorOptions,
  ProgressListener,
} from './extraction.types';
