// A sync service in its own process, so a test can kill it with SIGKILL mid-sync.
// Run: node -r tsx/cjs sync.child.ts (variables from the environment).
import { loadSyncConfig, startSyncService } from '../../src';

void startSyncService(loadSyncConfig()).then((service) => {
  process.stdout.write(`listening ${service.port}\n`);
});
