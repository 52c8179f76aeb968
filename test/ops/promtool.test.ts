import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../..');
const rulesFile = 'deploy/prometheus/readur.rules.yml';
const ruleCount = (
  parse(fs.readFileSync(path.join(root, rulesFile), 'utf8')) as { groups: { rules: unknown[] }[] }
).groups.flatMap((group) => group.rules).length;

/** Runs Debian's promtool (package `prometheus`) in `cwd`; its whole output names a failure. */
function promtool(args: string[], cwd = root): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Every file under deploy/ that is a Prometheus server configuration. */
function prometheusConfigs(): string[] {
  return fs
    .readdirSync(path.join(root, 'deploy'), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.ya?ml$/.test(file))
    .filter((file) =>
      /^scrape_configs:/m.test(fs.readFileSync(path.join(root, 'deploy', file), 'utf8')),
    )
    .map((file) => path.join('deploy', file));
}

describe('promtool on deploy/prometheus', () => {
  it('when the alert rules are checked, then promtool accepts every rule', () => {
    const check = promtool(['check', 'rules', rulesFile]);

    expect(check.output).toContain(`SUCCESS: ${ruleCount} rules found`);
    expect(check.status).toBe(0);
  });

  it('when every Prometheus config shipped in deploy/ is checked, then promtool accepts it and its rule files', () => {
    const configs = prometheusConfigs();

    expect(configs).toEqual(['deploy/prometheus/prometheus.yml']);
    for (const config of configs) {
      const check = promtool(['check', 'config', config]);

      expect(check.output).toMatch(
        new RegExp(
          `${config} is valid prometheus config file syntax[\\s\\S]*SUCCESS: ${ruleCount} rules`,
        ),
      );
      expect(check.status).toBe(0);
    }
  });

  it('when the rules meet made-up series, then each raises exactly the alerts its unit tests expect', () => {
    // One dead webhook among healthy ones, a service down, 2% 5xx, a growing OCR queue.
    const run = promtool(
      ['test', 'rules', 'readur.rules.test.yml'],
      path.join(__dirname, 'prometheus'),
    );

    expect(run.output).toMatch(/^\s*SUCCESS$/m);
    expect(run.status).toBe(0);
  });
});
