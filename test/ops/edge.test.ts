import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { dropDatabase, freePort, startStack, type Stack } from '@readur/stack';
import { signUp, waitForOcr, type ApiUser, type DocumentJson } from '../e2e/client';
import { textImage } from '../e2e/fixtures';

const root = path.resolve(__dirname, '../..');
const runId = `${process.pid}_${Date.now()}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_ops_edge_${runId}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'readur-ops-edge-'));
const MB = 1024 * 1024;

interface LogLine {
  service: string;
  message?: string;
  request_id?: string;
  client_address?: string;
}
const logs: LogLine[] = [];
const rawLines: { service: string; line: string }[] = [];
const daemons: ChildProcess[] = [];
let stack: Stack;
let user: ApiUser;
let gatewayPort: number;
const proxies: Record<string, number> = {};

/** Starts a proxy or Prometheus in the foreground; it is stopped in afterAll. */
function daemon(command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  child.once('exit', (code) => {
    if (code !== null && code !== 0) process.stderr.write(`${command} exited ${code}: ${errors}\n`);
  });
  daemons.push(child);
  return child;
}

async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** nginx with deploy/nginx/readur-proxy.conf as shipped, and readur.conf's upstream and map. */
async function startNginx(): Promise<number> {
  const port = await freePort();
  const dir = path.join(work, 'nginx');
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  const shipped = fs.readFileSync(path.join(root, 'deploy/nginx/readur.conf'), 'utf8');
  const upstreamAndMap = shipped
    .slice(0, shipped.indexOf('server {'))
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${gatewayPort};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `${kind}_temp_path ${dir}/${kind};`)
    .join('\n  ');
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  ${temp}
  ${upstreamAndMap}
  server {
    listen 127.0.0.1:${port};
    include ${root}/deploy/nginx/readur-proxy.conf;
  }
}
`,
  );
  daemon('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']);
  return port;
}

/** Apache with deploy/apache/readur-proxy.conf as shipped, in a loopback VirtualHost. */
async function startApache(): Promise<number> {
  const port = await freePort();
  const dir = path.join(work, 'apache');
  fs.mkdirSync(dir, { recursive: true });
  const modules = ['mpm_event', 'authz_core', 'headers', 'proxy', 'proxy_http', 'proxy_wstunnel'];
  fs.writeFileSync(
    path.join(dir, 'httpd.conf'),
    `ServerRoot ${dir}
ServerName 127.0.0.1
${modules.map((name) => `LoadModule ${name}_module /usr/lib/apache2/modules/mod_${name}.so`).join('\n')}
User www-data
Group www-data
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
Define READUR_GATEWAY 127.0.0.1:${gatewayPort}
<VirtualHost 127.0.0.1:${port}>
  Include ${root}/deploy/apache/readur-proxy.conf
</VirtualHost>
`,
  );
  daemon('apache2', ['-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND']);
  return port;
}

/** Caddy with deploy/caddy/Caddyfile exactly as shipped; only its placeholders are set. */
async function startCaddy(): Promise<number> {
  const port = await freePort();
  const dir = path.join(work, 'caddy');
  fs.mkdirSync(dir, { recursive: true });
  daemon(
    'caddy',
    ['run', '--config', path.join(root, 'deploy/caddy/Caddyfile'), '--adapter', 'caddyfile'],
    {
      READUR_SITE: `http://127.0.0.1:${port}`,
      READUR_GATEWAY: `127.0.0.1:${gatewayPort}`,
      CADDY_ADMIN: 'off',
      HOME: dir,
      XDG_DATA_HOME: dir,
      XDG_CONFIG_HOME: dir,
    },
  );
  return port;
}

/** A raw HTTP request from a chosen loopback source address (so addresses can be told apart). */
function request(
  port: number,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | number>;
    localAddress?: string;
  },
  body?: Readable | Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        localAddress: options.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

/** A multipart upload of `sizeMb` MB streamed from a generator: nobody holds the file. */
function streamedUpload(sizeMb: number, seed: string) {
  const boundary = `----readur-edge-${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${seed}.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(MB);
  chunk.write(seed, 8);
  function* body() {
    yield head;
    for (let i = 0; i < sizeMb; i += 1) {
      chunk.writeUInt32LE(i, 0);
      yield Buffer.from(chunk);
    }
    yield tail;
  }
  return {
    body: Readable.from(body()),
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + sizeMb * MB + tail.length,
    },
  };
}

async function gatewayLog(requestId: string): Promise<LogLine> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = logs.find(
      (entry) =>
        entry.service === 'gateway' &&
        entry.message === 'request finished' &&
        entry.request_id === requestId,
    );
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the gateway logged no request ${requestId}`);
}

beforeAll(async () => {
  stack = await startStack({
    randomPorts: true,
    metrics: true,
    databaseUrl,
    exchange: `readur-ops-edge-${runId}`,
    storagePath: path.join(work, 'documents'),
    env: {
      // `request finished` lines (with client_address) are debug.
      LOG_LEVEL: 'debug',
      OCR_CONCURRENCY: '1',
      // Only the proxies on 127.0.0.1 may set X-Forwarded-*; clients here use 127.0.0.2/3.
      TRUST_PROXY: '127.0.0.1',
    },
    output: (service, line) => {
      rawLines.push({ service, line });
      try {
        logs.push({ ...(JSON.parse(line) as Omit<LogLine, 'service'>), service });
      } catch {
        // not JSON
      }
    },
  });
  gatewayPort = Number(new URL(stack.gatewayUrl).port);
  user = await signUp(stack.gatewayUrl, `edge_${Date.now()}`);
  proxies.nginx = await startNginx();
  proxies.apache = await startApache();
  proxies.caddy = await startCaddy();
  for (const port of Object.values(proxies))
    await waitForHttp(`http://127.0.0.1:${port}/api/health`);
}, 180_000);

afterAll(async () => {
  for (const child of daemons) child.kill('SIGTERM');
  await Promise.all(
    daemons.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('exit', resolve)),
    ),
  );
  await stack?.stop();
  await dropDatabase(databaseUrl);
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(['nginx', 'apache', 'caddy'])('%s in front of the gateway (deploy/)', (proxy) => {
  const port = () => proxies[proxy] ?? 0;

  it('when a 100 MB scan is uploaded through /api/documents/upload, then it is stored whole', async () => {
    const upload = streamedUpload(100, `edge-${proxy}`);

    const res = await request(
      port(),
      {
        method: 'POST',
        path: '/api/documents/upload',
        headers: { ...upload.headers, authorization: `Bearer ${user.token}` },
      },
      upload.body,
    );

    expect(res.status).toBe(201);
    expect((JSON.parse(res.text) as DocumentJson).file_size).toBe(100 * MB);
  }, 180_000);

  it('when a WebSocket is opened on /ws, then it is upgraded through the proxy and receives an event', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port()}/ws`, [
      'readur.v1',
      `bearer.${user.token}`,
    ]);
    const messages: { type?: string; event?: string; data?: { title?: string } }[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as never));
    const until = async (found: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!found() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };

    await until(() => messages.some((message) => message.type === 'ready'));
    const title = `ws-through-${proxy}`;
    const uploaded = await user.upload(Buffer.from(`${title} ${Date.now()}\n`), `${title}.txt`, {
      title,
    });
    await until(() =>
      messages.some((m) => m.event === 'document.created' && m.data?.title === title),
    );
    socket.close();

    expect(uploaded.status).toBe(201);
    expect(socket.protocol).toBe('readur.v1');
    expect(
      messages.find((m) => m.event === 'document.created' && m.data?.title === title),
    ).toBeDefined();
  }, 60_000);

  it('when any other route gets a 2 MB body, then the proxy refuses it with 413', async () => {
    const res = await request(
      port(),
      {
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json', 'content-length': 2 * MB },
      },
      Buffer.alloc(2 * MB, 0x20),
    );

    expect(res.status).toBe(413);
  });

  it('when answering, then the documented security headers are set, on errors too', async () => {
    for (const route of ['/api/health', '/api/no-such-route']) {
      const res = await request(port(), { path: route });

      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
      });
    }
  });

  it('when a path outside /api and /ws is asked for, then it never reaches the services', async () => {
    const internal = await request(port(), { path: '/internal/documents/x/file' });
    const metrics = await request(port(), { path: '/metrics' });

    expect([internal.status, metrics.status]).toEqual([
      proxy === 'apache' ? 403 : 404,
      proxy === 'apache' ? 403 : 404,
    ]);
  });

  it('when a client behind the proxy sends a forged X-Forwarded-For, then the gateway logs the address the proxy saw', async () => {
    const requestId = `edge-${proxy}-${Date.now()}`;

    const res = await request(port(), {
      path: '/api/health',
      localAddress: '127.0.0.3',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': requestId },
    });

    expect(res.status).toBe(200);
    expect((await gatewayLog(requestId)).client_address).toBe('127.0.0.3');
  });
});

describe('the gateway without a proxy', () => {
  it('when a client that is not a configured proxy sends X-Forwarded-For, then it is ignored', async () => {
    const requestId = `edge-direct-${Date.now()}`;

    await request(gatewayPort, {
      path: '/api/health',
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': requestId },
    });

    expect((await gatewayLog(requestId)).client_address).toBe('127.0.0.2');
  });
});

describe('logs as deploy/filebeat and deploy/logstash read them', () => {
  it('when the services have worked, then every line is one JSON object with the fields the configs use', () => {
    const json = rawLines.filter(({ line }) => line.startsWith('{'));
    const other = rawLines.filter(({ line }) => !line.startsWith('{'));

    expect(json.length).toBeGreaterThan(20);
    for (const { line } of json) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      // filebeat.yml: `timestamp` layout 2006-01-02T15:04:05.999Z; message_key: message.
      expect(entry.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['error', 'warn', 'info', 'debug']).toContain(entry.level);
      expect(typeof entry.message).toBe('string');
      expect(typeof entry.service).toBe('string');
    }
    // The only plain line is the admin password banner, printed once (logstash tags it).
    expect(other.map(({ service, line }) => `${service}: ${line.slice(0, 30)}`)).toEqual([
      'auth: *** Readur admin account creat',
    ]);
  });
});

describe('Prometheus (Debian prometheus) scraping the running stack', () => {
  let prometheusUrl: string;

  async function query(promql: string): Promise<unknown[]> {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: unknown[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  async function eventually(
    promql: string,
    enough = (result: unknown[]) => result.length > 0,
    timeoutMs = 60_000,
  ): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await query(promql);
      if (enough(result) || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    const dir = path.join(work, 'prometheus');
    fs.mkdirSync(dir, { recursive: true });
    const targets = Object.entries(stack.metricsUrls).map(([name, url]) => ({
      targets: [new URL(url).host],
      labels: { instance_name: name },
    }));
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [path.join(root, 'deploy/prometheus/readur.rules.yml')],
        scrape_configs: [{ job_name: 'readur', static_configs: targets }],
      }),
    );
    daemon('prometheus', [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    prometheusUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${prometheusUrl}/-/ready`);
  }, 60_000);

  it('when the stack has worked, then the documented queries return data', async () => {
    const scan = await user.upload(
      await textImage(['prometheus scrapes this invoice']),
      'scan.png',
    );
    expect(scan.status).toBe(201);
    await waitForOcr(user, ((await scan.json()) as DocumentJson).id);
    // A real 5xx: the gateway answers 502 while the webhook-dispatcher is gone.
    const dispatcher = stack.services.find((service) => service.name === 'webhook-dispatcher');
    await dispatcher?.stop();
    expect((await user.request('GET', '/api/webhooks')).status).toBe(502);

    const expectedUp = Object.keys(stack.metricsUrls).length - 1;
    const up = await eventually(
      'up{instance_name!="webhook-dispatcher"} == 1',
      (result) => result.length === expectedUp,
    );
    const processed = await eventually('rate(documents_processed_total[5m])');
    const pending = await eventually('ocr_queue_pending_count');
    const latency = await eventually(
      'histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m]))',
    );
    const errors = await eventually('rate(http_requests_total{status=~"5.."}[5m])');

    expect(Object.keys(stack.metricsUrls)).toEqual(
      expect.arrayContaining(['gateway', 'auth', 'document', 'ocr-worker-1', 'sync']),
    );
    expect(up).toHaveLength(expectedUp);
    expect(processed.length).toBeGreaterThan(0);
    expect(pending.length).toBe(1);
    expect(latency.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
  }, 180_000);

  it('when a scan cannot be read, then its failure is counted by reason', async () => {
    const broken = await user.upload(Buffer.from('%PDF-1.7\n% not really a PDF\n'), 'broken.pdf');
    expect(broken.status).toBe(201);
    const done = await waitForOcr(user, ((await broken.json()) as DocumentJson).id);

    type Failure = { metric: { reason: string } };
    const failures = (await eventually('sum by (reason) (ocr_failures_total)', (result) =>
      (result as Failure[]).some((entry) => entry.metric.reason === done.ocr_failure_reason),
    )) as Failure[];

    expect(done.ocr_status).toBe('failed');
    expect(failures.map((entry) => entry.metric.reason)).toContain(done.ocr_failure_reason);
  }, 120_000);

  it('when the Grafana dashboard is imported, then every panel query is valid PromQL on these metrics', async () => {
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(root, 'deploy/grafana/readur-dashboard.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] };
    const queries = dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr));

    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const promql of queries) {
      const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
      expect({ promql, status: res.status }).toEqual({ promql, status: 200 });
    }
    // The documented panels have data after the work above, and so does the bus lag panel
    // (every durable subscription samples it every 15 s). The sync panels' queries are only
    // held to being valid: no sync runs in this stack.
    expect(await query('sum(ocr_queue_pending_count)')).toHaveLength(1);
    expect(await eventually('sum(rate(ocr_pages_processed_total[5m]))')).toHaveLength(1);
    type Lag = { metric: { subscription: string } };
    const sampled = ['document', 'ocr-worker', 'ocr-worker.pages'];
    const lag = (await eventually('max by (subscription) (bus_consumer_lag_messages)', (result) =>
      sampled.every((name) =>
        (result as Lag[]).some((entry) => entry.metric.subscription === name),
      ),
    )) as Lag[];
    expect(lag.map((entry) => entry.metric.subscription)).toEqual(expect.arrayContaining(sampled));
  }, 90_000);

  it('when the alert rules are loaded, then Prometheus evaluates every one of them without error', async () => {
    const res = await fetch(`${prometheusUrl}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((group) => group.rules);

    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const rule of rules)
      expect({ name: rule.name, health: rule.health }).toEqual({ name: rule.name, health: 'ok' });
  });
});
