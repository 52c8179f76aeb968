import { ConfigError } from '@readur/config';
import { onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { gatewayConfigHelp, loadGatewayConfig } from './config';
import { SERVICE, startGateway } from './service';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(gatewayConfigHelp());
    return;
  }

  const logger = createLogger(SERVICE);
  try {
    const config = loadGatewayConfig();
    const gateway = await startGateway(config, { logger });
    onShutdownSignal(logger, () => gateway.close());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('gateway failed to start', { error });
    }
    process.exit(1);
  }
}

void main();
