import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { waitFor } from '@readur/testkit';
import { documentCreated } from './support/event.factory';
import {
  ENCRYPTION_KEY,
  deliveriesOf,
  newUser,
  startHarness,
  type DispatcherProcess,
  type Harness,
  type WebhookJson,
} from './support/dispatcher.harness';
import { startSink, type Sink, type SinkRequest } from './support/sink.server';

const GLOBAL_SECRET = 'operator-webhook-secret-5ad1c0ffee';

const signedBy = (request: SinkRequest, secret: string) =>
  request.headers['x-readur-signature'] ===
  `sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`;

/** Every form of `secret` that would give it away in a log line. */
const formsOf = (secret: string) => [secret, secret.replace(/^whsec_/, '')];

/** Runs the dispatcher's `main.ts` with `env` until it exits; resolves with its code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const main = path.resolve(__dirname, '..', 'src', 'main.ts');
  const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), main], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  // A dispatcher that unexpectedly accepted `env` would run on: stop it rather than hang.
  const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(limit);
      resolve({ code, output: Buffer.concat(output).toString() });
    }),
  );
}

describe('secrets in the log (a dispatcher process at LOG_LEVEL=debug)', () => {
  let harness: Harness;
  let dispatcher: DispatcherProcess;
  let globalSink: Sink;
  const sinks: Sink[] = [];

  beforeAll(async () => {
    globalSink = await startSink();
    sinks.push(globalSink);
    harness = await startHarness({
      WEBHOOK_ENABLED: 'true',
      WEBHOOK_URL: globalSink.url,
      WEBHOOK_SECRET: GLOBAL_SECRET,
      WEBHOOK_RETRY_BASE_DELAY_MS: '200',
    });
    await harness.stopDispatcher();
    dispatcher = await harness.spawnDispatcher({ LOG_LEVEL: 'debug' });
    harness.baseUrl = dispatcher.baseUrl;
  });

  afterAll(async () => {
    await dispatcher?.kill();
    await harness?.close();
    for (const sink of sinks) await sink.close();
  });

  it('when a webhook is created, pinged, its secret rotated and events delivered (one after a retry), then no secret appears in the output', async () => {
    const owner = newUser();
    const sink = await startSink((index) => ({ status: index === 1 ? 500 : 200 }));
    sinks.push(sink);

    const created = await harness.createWebhook(owner, { url: sink.url, events: ['*'] });
    const ping = await harness.call(owner, 'POST', `/api/webhooks/${created.id}/ping`);
    const rotated = (await (
      await harness.call(owner, 'POST', `/api/webhooks/${created.id}/rotate-secret`)
    ).json()) as WebhookJson;
    await harness.publish(documentCreated(owner.id));
    await waitFor(async () => {
      const log = await deliveriesOf(harness, owner, created.id);
      return log.length === 2 && log.every((entry) => entry.status === 'succeeded');
    });
    await waitFor(() =>
      globalSink.requests.some((request) => request.json.data.user_id === owner.id),
    );
    await dispatcher.stop();
    const output = dispatcher.output();

    expect(ping.status).toBe(200);
    expect(signedBy(sink.requests[0]!, created.secret!)).toBe(true);
    expect(sink.requests.slice(1).every((request) => signedBy(request, rotated.secret!))).toBe(
      true,
    );
    expect(signedBy(globalSink.requests.at(-1)!, GLOBAL_SECRET)).toBe(true);
    for (const message of [
      'webhook created',
      'webhook secret rotated',
      'webhook delivery will be retried',
      'webhook delivered',
      'request finished',
      'global webhook enabled',
    ]) {
      expect(output).toContain(`"message":"${message}"`);
    }
    for (const secret of [
      ...formsOf(created.secret!),
      ...formsOf(rotated.secret!),
      GLOBAL_SECRET,
      ENCRYPTION_KEY,
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/whsec_/);
  });

  it('when the operator secret is refused at start-up, then the error names the variable, not its value', async () => {
    const tooShort = 'sh0rt-s3cret';

    const { code, output } = await runToExit({
      ...harness.env,
      PORT: '0',
      WEBHOOK_SECRET: tooShort,
      LOG_LEVEL: 'debug',
    });

    expect(code).toBe(1);
    expect(output).toContain('WEBHOOK_SECRET: must be at least 16 characters');
    expect(output).not.toContain(tooShort);
  });
});
