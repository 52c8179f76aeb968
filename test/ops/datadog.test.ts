import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import readline from 'node:readline';
import { ConfigError } from '@readur/config';
import { createMetrics, startDogStatsD } from '@readur/metrics';
import { SERVICE_CONFIGS } from './config-shapes';

const root = path.resolve(__dirname, '../..');
let socket: dgram.Socket;
let port: number;
const packets: string[] = [];
let gateway: ChildProcess | undefined;
/** Looks like a Datadog API key (32 hex digits); must never leave the process it is given to. */
const API_KEY = 'f00dfeedcafe0123456789abcdef4567';

async function received(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = packets.flatMap((packet) => packet.split('\n')).find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no DogStatsD line matched ${String(pattern)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  socket = dgram.createSocket('udp4');
  socket.on('message', (message) => packets.push(message.toString()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  port = socket.address().port;
});

afterAll(async () => {
  gateway?.kill('SIGTERM');
  if (gateway && gateway.exitCode === null) {
    await new Promise((resolve) => gateway?.once('exit', resolve));
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
});

describe('Datadog over DogStatsD (hot-shots)', () => {
  it('when a counter grows, then the agent receives what it grew by, with labels as tags', async () => {
    const metrics = createMetrics('datadog-test', {});
    const documents = metrics.counter('readur_test_documents_total', 'test', ['status']);
    const stop = startDogStatsD(metrics.registry, 'datadog-test', {
      host: '127.0.0.1',
      port,
      intervalMs: 100,
    });

    documents.inc({ status: 'completed' }, 3);
    const first = await received(/^readur_test_documents_total:3\|c/);
    documents.inc({ status: 'completed' }, 2);
    const second = await received(/^readur_test_documents_total:2\|c/);
    await stop();

    expect(first).toContain('status:completed');
    expect(first).toContain('service:datadog-test');
    expect(second).toContain('status:completed');
  });

  it('when DATADOG_API_KEY is set, then every service reads it and a start-up error does not print it', () => {
    for (const [name, config] of Object.entries(SERVICE_CONFIGS)) {
      // INTERNAL_API_TOKEN (and more) missing: the service refuses to start, listing problems.
      const refusal = (() => {
        try {
          config.load({ DATADOG_ENABLED: 'true', DATADOG_API_KEY: API_KEY });
        } catch (error) {
          return error;
        }
      })();

      expect({ name, reads: config.names.has('DATADOG_API_KEY') }).toEqual({ name, reads: true });
      expect(refusal).toBeInstanceOf(ConfigError);
      expect((refusal as ConfigError).message).not.toContain(API_KEY);
    }
  });

  it('when a service runs with DATADOG_ENABLED, then its HTTP metrics arrive under the Prometheus names', async () => {
    gateway = spawn(process.execPath, [path.join(root, 'services/gateway/dist/main.js')], {
      env: {
        ...process.env,
        PORT: '0',
        PROMETHEUS_ENABLED: 'false',
        INTERNAL_API_TOKEN: 'datadog-test-internal-token',
        DATADOG_ENABLED: 'true',
        DATADOG_HOST: '127.0.0.1',
        DATADOG_PORT: String(port),
        DATADOG_API_KEY: API_KEY,
        LOG_LEVEL: 'debug',
        LIVE_EVENTS_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    gateway.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const listening = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: gateway?.stdout ?? process.stdin });
      lines.on('line', (line) => {
        output.push(line);
        const entry = JSON.parse(line) as { message?: string; port?: number };
        if (entry.message === 'gateway listening' && entry.port) resolve(entry.port);
      });
      gateway?.once('exit', (code) => reject(new Error(`gateway exited ${String(code)}`)));
    });

    const res = await fetch(`http://127.0.0.1:${listening}/api/health`);
    expect(res.status).toBe(200);

    const requests = await received(/^http_requests_total:\d+\|c/);
    const duration = await received(/^http_request_duration_seconds_count:\d+\|c/);
    expect(requests).toMatch(/service:gateway/);
    expect(requests).toMatch(/route:\/api\/health/);
    expect(duration).toMatch(/status:200/);
    // The key is for the agent: neither a log line (debug included) nor a packet carries it.
    expect(output.length).toBeGreaterThan(0);
    expect(output.filter((line) => line.includes(API_KEY))).toEqual([]);
    expect(packets.filter((packet) => packet.includes(API_KEY))).toEqual([]);
  }, 60_000);
});
