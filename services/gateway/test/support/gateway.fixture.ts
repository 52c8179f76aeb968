import { createLogger } from '@readur/logger';
import { loadGatewayConfig } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/service';

/** The internal token the test gateway sends upstream. */
export const INTERNAL_TOKEN = 'gateway-test-internal-token-0123';

/** A started gateway and its base URL. */
export interface TestGateway extends RunningGateway {
  url: string;
}

/** Starts the real gateway in-process on a free port, in front of `upstreamUrl`. */
export async function startTestGateway(
  upstreamUrl: string,
  env: Record<string, string> = {},
): Promise<TestGateway> {
  const config = loadGatewayConfig({
    PORT: '0',
    AUTH_SERVICE_URL: upstreamUrl,
    DOCUMENT_SERVICE_URL: upstreamUrl,
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    PROMETHEUS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const gateway = await startGateway(config, { logger: createLogger('gateway', 'silent') });
  return { ...gateway, url: `http://127.0.0.1:${gateway.port}` };
}
