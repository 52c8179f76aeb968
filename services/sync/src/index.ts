export {
  startSyncService,
  SERVICE,
  type RunningSyncService,
  type SyncServiceOptions,
} from './service';
export { syncConfigShape, loadSyncConfig, type SyncConfig } from './config';
