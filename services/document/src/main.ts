import { ConfigError } from '@readur/config';
import { onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { documentConfigHelp, loadDocumentConfig } from './config';
import { SERVICE, startDocumentService } from './service';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(documentConfigHelp());
    return;
  }

  const logger = createLogger(SERVICE);
  try {
    const config = loadDocumentConfig();
    const service = await startDocumentService(config, { logger });
    onShutdownSignal(logger, () => service.close());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('document service failed to start', { error });
    }
    process.exit(1);
  }
}

void main();
