import { ConfigError } from '@readur/config';
import { onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { loadSyncConfig, syncConfigHelp } from './config';
import { SERVICE, startSyncService } from './service';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(syncConfigHelp());
    return;
  }

  const logger = createLogger(SERVICE);
  try {
    const config = loadSyncConfig();
    const service = await startSyncService(config, { logger });
    onShutdownSignal(logger, () => service.close());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('sync service failed to start', { error });
    }
    process.exit(1);
  }
}

void main();
