import { ConfigError } from '@readur/config';
import { onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { authConfigHelp, loadAuthConfig } from './config';
import { SERVICE, startAuthService } from './service';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(authConfigHelp());
    return;
  }

  const logger = createLogger(SERVICE);
  try {
    const config = loadAuthConfig();
    const service = await startAuthService(config, { logger });
    onShutdownSignal(logger, () => service.close());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('auth service failed to start', { error });
    }
    process.exit(1);
  }
}

void main();
