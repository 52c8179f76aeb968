// Services are not packages, so their config modules are imported by path (jest maps only
// packages/*). Each one is the source of truth for its environment names.
import { authConfigShape, loadAuthConfig } from '../../services/auth/src/config';
import { documentConfigShape, loadDocumentConfig } from '../../services/document/src/config';
import { gatewayConfigShape, loadGatewayConfig } from '../../services/gateway/src/config';
import { loadOcrWorkerConfig, ocrWorkerConfigShape } from '../../services/ocr-worker/src/config';
import { loadSyncConfig, syncConfigShape } from '../../services/sync/src/config';
import {
  loadWebhookConfig,
  webhookConfigShape,
} from '../../services/webhook-dispatcher/src/config';

/** What a deployment file may set for one service, and the parser that must accept it. */
export interface ServiceConfig {
  names: Set<string>;
  /** Throws a ConfigError listing every bad variable, as the service does at start-up. */
  load(env: Record<string, string | undefined>): unknown;
}

const namesOf = (shape: object) => new Set(Object.keys(shape));

/** Every service by its deployment name. */
export const SERVICE_CONFIGS: Record<string, ServiceConfig> = {
  gateway: { names: namesOf(gatewayConfigShape), load: loadGatewayConfig },
  auth: { names: namesOf(authConfigShape), load: loadAuthConfig },
  document: { names: namesOf(documentConfigShape), load: loadDocumentConfig },
  'ocr-worker': { names: namesOf(ocrWorkerConfigShape), load: loadOcrWorkerConfig },
  'webhook-dispatcher': { names: namesOf(webhookConfigShape), load: loadWebhookConfig },
  sync: { names: namesOf(syncConfigShape), load: loadSyncConfig },
};

/** The names in `env` that `service` does not read: drift between a deployment file and code. */
export function unknownNames(service: string, env: Record<string, unknown>): string[] {
  const config = SERVICE_CONFIGS[service];
  if (!config) return Object.keys(env);
  return Object.keys(env).filter((name) => !config.names.has(name));
}
