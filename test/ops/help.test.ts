import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { SERVICE_CONFIGS } from './config-shapes';

const root = path.resolve(__dirname, '../..');
const serviceFolder: Record<string, string> = {
  gateway: 'gateway',
  auth: 'auth',
  document: 'document',
  'ocr-worker': 'ocr-worker',
  'webhook-dispatcher': 'webhook-dispatcher',
  sync: 'sync',
};

/** What `node <entry> <args>` prints; it must exit 0 (execFileSync throws otherwise). */
const run = (entry: string, args: string[]) =>
  execFileSync(process.execPath, [path.join(root, entry), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '' },
  });

describe('--help of every command-line entry (the compiled dist/ of `pnpm run build`)', () => {
  it.each(Object.entries(serviceFolder))(
    'when %s gets --help, then it exits 0 with a usage line and every variable it reads',
    (service, folder) => {
      const entry = `services/${folder}/dist/main.js`;

      const text = run(entry, ['--help']);

      expect(text).toContain(`Usage: node ${entry} [--help]`);
      const listed = new Set([...text.matchAll(/^ {2}([A-Z][A-Z0-9_]+)\b/gmu)].map((m) => m[1]));
      expect([...listed].sort()).toEqual([...(SERVICE_CONFIGS[service]?.names ?? [])].sort());
    },
  );

  it('when the stack launcher gets --help, then it lists its options', () => {
    const text = run('packages/stack/dist/cli.js', ['--help']);

    expect(text).toMatch(/^Usage: pnpm start \[options\]/u);
    for (const option of ['--port', '--ocr-workers', '--quiet', '--help']) {
      expect(text).toContain(option);
    }
  });

  it('when the stack launcher gets a bad number, then it exits 1 and names the option', () => {
    let failure: { status: number | null; stderr: string } | undefined;
    try {
      run('packages/stack/dist/cli.js', ['--ocr-workers', 'abc']);
    } catch (error) {
      failure = error as { status: number | null; stderr: string };
    }

    expect(failure?.status).toBe(1);
    expect(String(failure?.stderr)).toContain(
      "--ocr-workers takes a whole number from 1 to 32, not 'abc'",
    );
  });

  describe('when a port of the fixed-port stack is already taken', () => {
    /** Holds `port` on 127.0.0.1 while the launcher starts (with PROMETHEUS_ENABLED=false). */
    async function launchWhileHeld(port: number, args: string[] = []) {
      const holder = net.createServer();
      await new Promise<void>((resolve, reject) => {
        holder.once('error', reject);
        holder.listen(port, '127.0.0.1', resolve);
      });
      try {
        return await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [path.join(root, 'packages/stack/dist/cli.js'), ...args],
            { timeout: 30_000, env: { PATH: process.env.PATH ?? '', PROMETHEUS_ENABLED: 'false' } },
            (error, _stdout, stderr) =>
              resolve({ code: error ? ((error.code as number | undefined) ?? null) : 0, stderr }),
          );
        });
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    }

    it('then a taken service port stops it before anything starts, with the hint to stop the other stack', async () => {
      const result = await launchWhileHeld(8082);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('port 8082 (document) already in use');
      expect(result.stderr).toContain('Stop it first (only the gateway port can be moved');
    });

    it('then a taken gateway port alone gets the hint to pick another with --port', async () => {
      const result = await launchWhileHeld(8080);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'port 8080 (gateway) already in use: choose another gateway port with --port',
      );
    });
  });
});
