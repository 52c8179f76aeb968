import fs from 'node:fs';
import path from 'node:path';
import { baseConfig, busConfig, databaseConfig } from '@readur/config';
// Services are not packages, so their config modules are imported by path (jest maps only
// packages/*). Each one is the source of truth for its environment names.
import { authConfigShape, loadAuthConfig } from '../../services/auth/src/config';
import { documentConfigShape, loadDocumentConfig } from '../../services/document/src/config';
import { gatewayConfigShape, loadGatewayConfig } from '../../services/gateway/src/config';
import { loadOcrWorkerConfig, ocrWorkerConfigShape } from '../../services/ocr-worker/src/config';
import {
  loadWebhookConfig,
  webhookConfigShape,
} from '../../services/webhook-dispatcher/src/config';

/** What a deployment file may set for one service, and the parser that must accept it. */
export interface ServiceConfig {
  names: Set<string>;
  /** Throws a ConfigError listing every bad variable, as the service does at start-up. */
  load(env: Record<string, string | undefined>): unknown;
  /** False while the service has no exported config shape yet (see `sync`). */
  exported: boolean;
}

const namesOf = (shape: object) => new Set(Object.keys(shape));

/**
 * The sync service is being written (#8). Until its `config.ts` exports `syncConfigShape`,
 * deployment files may give it only the variables every bus-and-database service reads.
 */
function syncConfig(): ServiceConfig {
  const file = path.resolve(__dirname, '../../services/sync/src/config.ts');
  if (fs.existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional until #8 lands
    const module = require(file) as Record<string, unknown>;
    const shape = module.syncConfigShape as object | undefined;
    const load = Object.values(module).find(
      (value) => typeof value === 'function' && /^load\w*Config$/.test((value as () => void).name),
    ) as ((env: Record<string, string | undefined>) => unknown) | undefined;
    if (shape && load) return { names: namesOf(shape), load, exported: true };
  }
  const names = new Set([
    ...Object.keys({ ...baseConfig, ...databaseConfig, ...busConfig }),
    'PORT',
    'INTERNAL_API_TOKEN',
    'DOCUMENT_SERVICE_URL',
  ]);
  return { names, load: () => undefined, exported: false };
}

/** Every service by its deployment name. */
export const SERVICE_CONFIGS: Record<string, ServiceConfig> = {
  gateway: { names: namesOf(gatewayConfigShape), load: loadGatewayConfig, exported: true },
  auth: { names: namesOf(authConfigShape), load: loadAuthConfig, exported: true },
  document: { names: namesOf(documentConfigShape), load: loadDocumentConfig, exported: true },
  'ocr-worker': {
    names: namesOf(ocrWorkerConfigShape),
    load: loadOcrWorkerConfig,
    exported: true,
  },
  'webhook-dispatcher': {
    names: namesOf(webhookConfigShape),
    load: loadWebhookConfig,
    exported: true,
  },
  sync: syncConfig(),
};

/** The names in `env` that `service` does not read: drift between a deployment file and code. */
export function unknownNames(service: string, env: Record<string, unknown>): string[] {
  const config = SERVICE_CONFIGS[service];
  if (!config) return Object.keys(env);
  return Object.keys(env).filter((name) => !config.names.has(name));
}
