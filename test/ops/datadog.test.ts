import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import readline from 'node:readline';
import { createMetrics, startDogStatsD } from '@readur/metrics';

const root = path.resolve(__dirname, '../..');
let socket: dgram.Socket;
let port: number;
const packets: string[] = [];
let gateway: ChildProcess | undefined;

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
        LOG_LEVEL: 'info',
        LIVE_EVENTS_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const listening = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: gateway?.stdout ?? process.stdin });
      lines.on('line', (line) => {
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
  }, 60_000);
});
