import {
  AppError,
  createApp,
  finishApp,
  listen,
  parseInput,
  type RunningServer,
} from '@readur/http';
import { createLogger } from '@readur/logger';
import { createMetrics } from '@readur/metrics';
import { z } from 'zod';

const logger = createLogger('http-test', 'silent');
const metrics = createMetrics('http-test');
let server: RunningServer;
let base: string;
let dependencyUp = true;

beforeAll(async () => {
  const app = createApp({
    service: 'http-test',
    logger,
    metrics,
    jsonLimit: '1kb',
    readiness: {
      database: () =>
        dependencyUp ? Promise.resolve() : Promise.reject(new Error('connection refused')),
    },
  });
  app.get('/api/things/:id', (req) => {
    throw new AppError('THING_NOT_FOUND', `thing ${req.params.id} not found`, 404);
  });
  app.post('/api/things', (req, res) => {
    const body = parseInput(z.object({ name: z.string().min(1) }), req.body);
    res.status(201).json(body);
  });
  app.get('/api/boom', () => {
    throw new Error('secret internal detail');
  });
  finishApp(app, logger);
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(() => server.close());

describe('the HTTP app factory', () => {
  it('when a request carries an id, then the answer echoes it and errors name it', async () => {
    const res = await fetch(`${base}/api/things/7`, { headers: { 'X-Request-Id': 'req-abc' } });

    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-abc');
    expect(res.headers.get('x-correlation-id')).toBe('req-abc');
    expect(await res.json()).toEqual({
      error: 'thing 7 not found',
      code: 'THING_NOT_FOUND',
      request_id: 'req-abc',
    });
  });

  it('when input is invalid, then 400 VALIDATION_FAILED names the field', async () => {
    const res = await fetch(`${base}/api/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '' }),
    });
    const body = (await res.json()) as { code: string; error: string; request_id: string };

    expect(res.status).toBe(400);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.error).toMatch(/name/);
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['malformed JSON', '{"name":', 400, 'INVALID_JSON'],
    ['a body over the limit', JSON.stringify({ name: 'x'.repeat(2000) }), 413, 'PAYLOAD_TOO_LARGE'],
  ])('when the body is %s, then the answer is that error', async (_, body, status, code) => {
    const res = await fetch(`${base}/api/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it('when the path has malformed percent-encoding, then 400 BAD_REQUEST, not 500', async () => {
    const res = await fetch(`${base}/api/things/%ff`);

    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST');
  });

  it("when the headers are over Node's limit, then 431 comes as JSON with a request id", async () => {
    const res = await fetch(`${base}/api/things/1`, { headers: { 'x-big': 'a'.repeat(20_000) } });

    expect(res.status).toBe(431);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { code: string }).code).toBe('HEADERS_TOO_LARGE');
  });

  it('when a handler throws something unexpected, then 500 says nothing internal', async () => {
    const res = await fetch(`${base}/api/boom`);
    const text = await res.text();

    expect(res.status).toBe(500);
    expect(text).not.toMatch(/secret/);
    expect(JSON.parse(text)).toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('when no route matches, then 404 ROUTE_NOT_FOUND', async () => {
    const res = await fetch(`${base}/api/nothing`);

    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('ROUTE_NOT_FOUND');
  });

  it('when a dependency is down, then readiness is 503 and liveness stays 200', async () => {
    dependencyUp = false;
    const ready = await fetch(`${base}/api/health/ready`);
    const live = await fetch(`${base}/api/health`);
    dependencyUp = true;

    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not_ready',
      dependencies: { database: { status: 'down', error: 'connection refused' } },
    });
    expect(live.status).toBe(200);
  });

  it('when requests were served, then the documented HTTP metrics count them by route', async () => {
    const text = await metrics.registry.metrics();

    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/things\/:id",status="404"/,
    );
    expect(text).toMatch(/http_request_duration_seconds_bucket\{/);
  });
});
