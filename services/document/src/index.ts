export {
  startDocumentService,
  SERVICE,
  type RunningDocumentService,
  type DocumentServiceOptions,
} from './service';
export { documentConfigShape, loadDocumentConfig, type DocumentConfig } from './config';
