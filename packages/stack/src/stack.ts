import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDatabase, freePort, generateSecret, portTaken } from './environment';
import {
  spawnService,
  waitUntilReady,
  type OutputSink,
  type ServiceProcess,
} from './service.process';

/** How to start the stack; everything has a local default. */
export interface StackOptions {
  /** Repository root (where `services/` is). */
  root?: string;
  /** The gateway's port; 0 picks a free one. */
  gatewayPort?: number;
  /** How many ocr-worker processes to run. */
  ocrWorkers?: number;
  databaseUrl?: string;
  amqpUrl?: string;
  /** Exchange name; tests use a unique one so stacks never see each other's events. */
  exchange?: string;
  storagePath?: string;
  /** Extra environment for every service (e.g. `OCR_LANGUAGES`, `MAX_UPLOAD_SIZE_MB`). */
  env?: Record<string, string>;
  output?: OutputSink;
  /** Give every service its own free port instead of the documented defaults. */
  randomPorts?: boolean;
  /**
   * Serve `/metrics` from every service. With `randomPorts` each gets its own free
   * `PROMETHEUS_PORT` (off unless asked for); otherwise the documented 9100-9104.
   */
  metrics?: boolean;
}

/** A running stack. */
export interface Stack {
  gatewayUrl: string;
  documentUrl: string;
  /** The webhook-dispatcher (subscriptions API and deliveries). */
  webhookUrl: string;
  internalToken: string;
  services: ServiceProcess[];
  /** `/metrics` address of each running process by its name (`gateway`, `ocr-worker-1`, ...). */
  metricsUrls: Record<string, string>;
  /** Starts one more ocr-worker process; `env` overrides the stack's variables for it alone. */
  addOcrWorker(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Stops every process gracefully, the gateway first and the workers last. */
  stop(): Promise<void>;
}

const DEFAULT_PORTS = {
  gateway: 8080,
  auth: 8081,
  document: 8082,
  ocr: 8083,
  webhook: 8084,
  sync: 8085,
};

/** The documented metrics ports of a local stack (gateway, auth, document, ocr-worker, ...). */
const METRICS_PORTS = [9100, 9101, 9102, 9103, 9104, 9105];

/**
 * Fails before anything starts when a port of a fixed-port stack is taken: a second stack (or
 * another program) would otherwise answer the readiness checks of this one.
 */
async function assertPortsFree(ports: Record<string, number>, metrics: boolean): Promise<void> {
  const wanted = Object.entries(ports).map(([name, port]) => ({ name, port }));
  if (metrics) wanted.push(...METRICS_PORTS.map((port) => ({ name: 'metrics', port })));

  const taken = [];
  for (const entry of wanted) if (await portTaken(entry.port)) taken.push(entry);
  if (taken.length === 0) return;
  const onlyGateway = taken.every(({ name }) => name === 'gateway');
  throw new Error(
    `port${taken.length > 1 ? 's' : ''} ${taken.map(({ name, port }) => `${port} (${name})`).join(', ')} ` +
      (onlyGateway
        ? 'already in use: choose another gateway port with --port'
        : 'already in use: is another Readur stack running? Stop it first (only the gateway ' +
          'port can be moved, with --port)'),
  );
}

/**
 * The ports of the stack. A random-port stack takes each one just before its service starts
 * (see `start`), so a port is free for as short a time as possible; until then it is 0.
 */
async function pickPorts(options: StackOptions) {
  if (!options.randomPorts) {
    const ports = { ...DEFAULT_PORTS, gateway: options.gatewayPort ?? DEFAULT_PORTS.gateway };
    await assertPortsFree(ports, metricsEnabled(options) === 'true');
    return ports;
  }
  return {
    gateway: options.gatewayPort ?? 0,
    auth: 0,
    document: 0,
    ocr: 0,
    webhook: 0,
    sync: 0,
  };
}

/** Attempts at starting a service of a random-port stack whose port another process took. */
const RANDOM_PORT_ATTEMPTS = 3;

/**
 * Starts auth, document, ocr-worker(s) and the gateway as child processes from their
 * compiled `dist/main.js`, waits until each is ready, and returns their addresses.
 * Each service runs its own migrations at start-up.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = options.root ?? path.resolve(__dirname, '../../..');
  const ports = await pickPorts(options);
  const internalToken = process.env.INTERNAL_API_TOKEN ?? generateSecret();
  const databaseUrl =
    options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/readur';
  await ensureDatabase(databaseUrl);

  const common: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    AMQP_URL: options.amqpUrl ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    AMQP_EXCHANGE: options.exchange ?? process.env.AMQP_EXCHANGE ?? 'readur-events',
    // A stack on its own exchange also gets its own queues, so stacks never share work.
    ...(options.exchange ? { AMQP_QUEUE: options.exchange } : {}),
    INTERNAL_API_TOKEN: internalToken,
    PROMETHEUS_ENABLED: metricsEnabled(options),
    ...options.env,
  };
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const script = (service: string) => path.join(root, 'services', service, 'dist', 'main.js');
  const started: ServiceProcess[] = [];
  const metricsUrls: Record<string, string> = {};

  const startOnce = async (
    name: string,
    service: string,
    env: Record<string, string>,
    port: number,
  ) => {
    // Random-port stacks never take the documented metrics ports another stack may hold.
    const metricsPort = options.randomPorts ? String(await freePort()) : env.PROMETHEUS_PORT;
    const child = spawnService(
      name,
      script(service),
      {
        ...common,
        ...env,
        PORT: String(port),
        ...(metricsPort ? { PROMETHEUS_PORT: metricsPort } : {}),
      },
      url(port),
      options.output,
    );
    started.push(child);
    try {
      await waitUntilReady(child, '/api/health/ready');
    } catch (error) {
      started.splice(started.indexOf(child), 1);
      await child.stop(5_000);
      throw error;
    }
    if (common.PROMETHEUS_ENABLED === 'true' && metricsPort) {
      metricsUrls[name] = `${url(Number(metricsPort))}/metrics`;
    }
    return child;
  };

  /**
   * Starts one service on `ports[key]`. In a random-port stack the port is taken only now, and
   * a service that dies before it is ready (another process took the port in between: parallel
   * test stacks do) is started again on another one. `env` is read after the port is known.
   */
  const start = async (
    name: string,
    service: string,
    key: keyof typeof ports,
    env: () => Record<string, string>,
  ) => {
    // A port the caller chose is kept, whatever happens.
    const random = options.randomPorts === true && !(key === 'gateway' && options.gatewayPort);
    for (let attempt = 1; ; attempt += 1) {
      if (random) ports[key] = await freePort();
      try {
        return await startOnce(name, service, env(), ports[key]);
      } catch (error) {
        if (!random || attempt >= RANDOM_PORT_ATTEMPTS) throw error;
      }
    }
  };

  let workerCount = 0;
  const addOcrWorker = async (env: Record<string, string> = {}) => {
    workerCount += 1;
    const index = workerCount - 1;
    if (!options.randomPorts) ports.ocr = DEFAULT_PORTS.ocr + index * 10;
    return start(`ocr-worker-${workerCount}`, 'ocr-worker', 'ocr', () => ({
      PROMETHEUS_PORT: String(9103 + index * 10),
      DOCUMENT_SERVICE_URL: url(ports.document),
      ...env,
    }));
  };

  try {
    await start('auth', 'auth', 'auth', () => ({ PROMETHEUS_PORT: '9101' }));
    await start('document', 'document', 'document', () => ({
      PROMETHEUS_PORT: '9102',
      STORAGE_PATH: options.storagePath ?? path.join(root, '.data', 'documents'),
    }));
    for (let i = 0; i < (options.ocrWorkers ?? 1); i += 1) await addOcrWorker();
    await start('webhook-dispatcher', 'webhook-dispatcher', 'webhook', () => ({
      PROMETHEUS_PORT: '9104',
      WEBHOOK_ENCRYPTION_KEY: webhookEncryptionKey(root, options.randomPorts === true),
    }));
    await start('sync', 'sync', 'sync', () => ({
      PROMETHEUS_PORT: '9105',
      DOCUMENT_SERVICE_URL: url(ports.document),
      SYNC_ENCRYPTION_KEY: syncEncryptionKey(root, options.randomPorts === true),
    }));
    await start('gateway', 'gateway', 'gateway', () => ({
      PROMETHEUS_PORT: '9100',
      AUTH_SERVICE_URL: url(ports.auth),
      DOCUMENT_SERVICE_URL: url(ports.document),
      WEBHOOK_SERVICE_URL: url(ports.webhook),
      SYNC_SERVICE_URL: url(ports.sync),
    }));
  } catch (error) {
    await Promise.all(started.map((child) => child.stop(5_000)));
    throw error;
  }

  const stop = async () => {
    for (const child of [...started].reverse()) await child.stop();
  };
  return {
    gatewayUrl: url(ports.gateway),
    documentUrl: url(ports.document),
    webhookUrl: url(ports.webhook),
    internalToken,
    services: started,
    metricsUrls,
    addOcrWorker,
    stop,
  };
}

/** `PROMETHEUS_ENABLED` for the stack: on for local stacks, opt-in (`metrics`) for random ports. */
function metricsEnabled(options: StackOptions): string {
  if (options.metrics !== undefined) return String(options.metrics);
  return options.randomPorts ? 'false' : (process.env.PROMETHEUS_ENABLED ?? 'true');
}

/**
 * The key that encrypts sync sources' credentials: `SYNC_ENCRYPTION_KEY`, else a fresh one for
 * a throwaway stack, else one generated once into `.data/sync-encryption.key`.
 */
function syncEncryptionKey(root: string, throwaway: boolean): string {
  if (process.env.SYNC_ENCRYPTION_KEY) return process.env.SYNC_ENCRYPTION_KEY;
  if (throwaway) return generateSecret() + generateSecret();

  const file = path.join(root, '.data', 'sync-encryption.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = generateSecret() + generateSecret();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
}

/**
 * The key that encrypts webhook secrets at rest: `WEBHOOK_ENCRYPTION_KEY`, else a fresh one for
 * a throwaway stack, else one generated once into `.data/webhook-encryption.key` so a local
 * stack can still read its webhooks' secrets after a restart.
 */
function webhookEncryptionKey(root: string, throwaway: boolean): string {
  if (process.env.WEBHOOK_ENCRYPTION_KEY) return process.env.WEBHOOK_ENCRYPTION_KEY;
  if (throwaway) return generateSecret() + generateSecret();

  const file = path.join(root, '.data', 'webhook-encryption.key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = generateSecret() + generateSecret();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
}
