import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/echo.upstream';
import { INTERNAL_TOKEN, startTestGateway, type TestGateway } from './support/gateway.fixture';
import { createTokenFactory, type TokenFactory } from './support/token.factory';

let tokens: TokenFactory;
let upstream: EchoUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  tokens = await createTokenFactory();
  upstream = await startEchoUpstream(tokens.jwks, tokens);
  gateway = await startTestGateway(upstream.url, {
    MAX_UPLOAD_SIZE_MB: '60',
    MAX_JSON_BODY_KB: '16',
    UPSTREAM_TIMEOUT_SECONDS: '1',
  });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${gateway.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('when a request has no valid access token', () => {
  it.each([
    ['no token', () => Promise.resolve({})],
    ['a tampered token', async () => bearer(await tokens.tampered())],
    ['an alg:none token', () => Promise.resolve(bearer(tokens.algNone()))],
    [
      'an HS256 token signed with the public key',
      async () => bearer(await tokens.hs256WithPublicKey()),
    ],
    ['an expired token', async () => bearer(await tokens.expired())],
    ['a token for another audience', async () => bearer(await tokens.valid({ aud: 'other' }))],
    [
      'a well-signed token whose session the auth service says is over',
      async () => bearer(await tokens.valid({ sid: randomUUID() })),
    ],
  ])('then %s is 401 UNAUTHORIZED', async (_name, headers) => {
    const res = await call('/api/documents', { headers: await headers() });

    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      code: 'UNAUTHORIZED',
      request_id: expect.any(String) as string,
    });
  });
});

describe('when a request has a valid access token', () => {
  it('then the service gets the identity headers and none the client forged', async () => {
    const res = await call('/api/documents?page=2', {
      headers: {
        ...bearer(await tokens.valid()),
        'x-user-id': '00000000-0000-0000-0000-000000000000',
        'x-user-role': 'admin',
        'x-internal-token': 'forged',
        'x-correlation-id': 'corr-123',
      },
    });

    expect(res.status).toBe(200);
    const echo = res.body as unknown as Echo;
    expect(echo.url).toBe('/api/documents?page=2');
    expect(echo.headers).toMatchObject({
      'x-user-id': tokens.userId,
      'x-user-role': 'user',
      'x-username': 'alice',
      'x-internal-token': INTERNAL_TOKEN,
      'x-correlation-id': 'corr-123',
      'x-request-id': expect.any(String) as string,
    });
    expect(echo.headers.authorization).toBeUndefined();
  });
});

describe('when the scheme is written in lower case', () => {
  it('then the token is accepted as with "Bearer"', async () => {
    const res = await call('/api/documents', {
      headers: { authorization: `bearer ${await tokens.valid()}` },
    });

    expect(res.status).toBe(200);
  });
});

describe('when a public auth route is called', () => {
  it('then it is forwarded without a token and forged identity headers are dropped', async () => {
    const res = await call('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': 'forged', 'x-username': 'root' },
      body: JSON.stringify({ username: 'a', password: 'b' }),
    });

    expect(res.status).toBe(200);
    const echo = res.body as unknown as Echo;
    expect(echo.headers['x-user-id']).toBeUndefined();
    expect(echo.headers['x-username']).toBeUndefined();
  });
});

describe('when a large upload streams through', () => {
  it('then every byte arrives intact and gateway RSS grows far less than the body', async () => {
    const token = await tokens.valid();
    const chunk = randomBytes(64 * 1024);
    const chunks = (50 * 1024 * 1024) / chunk.length;
    const sent = createHash('sha256');
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    // Collect before each sample so the peak is memory held, not garbage not yet collected.
    const sampler = setInterval(() => {
      collectGarbage();
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);

    const echo = await new Promise<Echo>((resolve, reject) => {
      const req = http.request(`${gateway.url}/api/documents/upload`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString()) as Echo));
      });
      req.on('error', reject);
      Readable.from(
        (function* () {
          for (let i = 0; i < chunks; i += 1) {
            sent.update(chunk);
            yield chunk;
          }
        })(),
      ).pipe(req);
    });
    clearInterval(sampler);

    expect(echo.headers['transfer-encoding']).toBe('chunked');
    expect(echo.bytes).toBe(50 * 1024 * 1024);
    expect(echo.sha256).toBe(sent.digest('hex'));
    expect(peakRss - rssBefore).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('when a body is over the limit', () => {
  it('then a declared Content-Length over it is 413 before anything is forwarded', async () => {
    const res = await call('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(17 * 1024),
    });

    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('then a chunked body that runs over is cut with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${gateway.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 40; i += 1) req.write(Buffer.alloc(1024, 'x'));
      req.end();
    });

    expect(status).toBe(413);
  });
});

describe('when the upstream cannot answer', () => {
  it('then an upstream that is down is 502 UPSTREAM_UNAVAILABLE', async () => {
    const orphan = await startTestGateway('http://127.0.0.1:9');
    try {
      const res = await fetch(`${orphan.url}/api/auth/config`);

      expect(res.status).toBe(502);
      expect(((await res.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      await orphan.close();
    }
  });

  it('then an upstream that never answers is 504', async () => {
    const res = await call('/api/documents/slow', { headers: bearer(await tokens.valid()) });

    expect(res.status).toBe(504);
    expect(res.body.code).toBe('UPSTREAM_TIMEOUT');
  });
});

describe('when a client keeps trying to log in', () => {
  it('then it gets 429 RATE_LIMITED after the login limit', async () => {
    const limited = await startTestGateway(upstream.url, { LOGIN_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const attempt = () =>
        fetch(`${limited.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await attempt()).status);
      const last = (await (await attempt()).json()) as { code: string };

      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last.code).toBe('RATE_LIMITED');
      expect((await fetch(`${limited.url}/api/auth/config`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('when a path no service owns is called', () => {
  it('then the gateway answers 404 itself', async () => {
    const res = await call('/internal/documents/x/file');

    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('when a webhooks route is called', () => {
  it('then it needs a token and goes to WEBHOOK_SERVICE_URL with the identity headers', async () => {
    const seen: http.IncomingMessage[] = [];
    const webhookService = http.createServer((req, res) => {
      seen.push(req);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: 'webhook' }));
    });
    await new Promise<void>((resolve) => webhookService.listen(0, '127.0.0.1', resolve));
    const { port } = webhookService.address() as { port: number };
    const routed = await startTestGateway(upstream.url, {
      WEBHOOK_SERVICE_URL: `http://127.0.0.1:${port}`,
    });
    try {
      const anonymous = await fetch(`${routed.url}/api/webhooks`);
      const res = await fetch(`${routed.url}/api/webhooks/whk_1/deliveries`, {
        headers: bearer(await tokens.valid()),
      });

      expect(anonymous.status).toBe(401);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ upstream: 'webhook' });
      expect(seen.map((req) => req.url)).toEqual(['/api/webhooks/whk_1/deliveries']);
      expect(seen[0]!.headers['x-user-id']).toBe(tokens.userId);
    } finally {
      await routed.close();
      await new Promise((resolve) => webhookService.close(resolve));
    }
  });
});
