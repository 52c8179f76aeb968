import { execFileSync } from 'node:child_process';
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
});
