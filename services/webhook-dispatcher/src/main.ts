import { ConfigError } from '@readur/config';
import { onShutdownSignal } from '@readur/http';
import { createLogger } from '@readur/logger';
import { loadWebhookConfig, webhookConfigHelp } from './config';
import { SERVICE, startWebhookDispatcher } from './service';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(webhookConfigHelp());
    return;
  }

  const logger = createLogger(SERVICE);
  try {
    const config = loadWebhookConfig();
    const service = await startWebhookDispatcher(config, { logger });
    onShutdownSignal(logger, () => service.close(), (config.WEBHOOK_TIMEOUT + 10) * 1000);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.error('webhook dispatcher failed to start', { error });
    }
    process.exit(1);
  }
}

void main();
