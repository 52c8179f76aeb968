import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase } from './environment';
import { startStack, type Stack, type StackOptions } from './stack';

/** What a test file may set on its stack; where it lives is the test stack's own. */
export type TestStackOptions = Omit<
  StackOptions,
  'randomPorts' | 'databaseUrl' | 'exchange' | 'storagePath'
>;

/** A throwaway stack for one test file: its own database, exchange, storage and log. */
export interface TestStack {
  runId: string;
  databaseUrl: string;
  exchange: string;
  storagePath: string;
  /** Every line the services wrote, as `<service> <line>`. */
  logFile: string;
  /** Starts it on random ports; every service line also goes to the run's log file. */
  start(options?: TestStackOptions): Promise<Stack>;
  /**
   * Stops it, keeps the log in the temp folder (and says where), drops the database and
   * removes the storage.
   */
  dispose(): Promise<void>;
}

/**
 * Names everything after `name` and this run (`readur_<name>_<run>` database,
 * `readur-<name>-<run>` exchange, `readur-<name>-*` storage folder), so parallel test files
 * and runs never share state.
 */
export function testStack(name: string): TestStack {
  const runId = `${process.pid}_${Date.now()}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/readur_${name.replaceAll('-', '_')}_${runId}`;
  const exchange = `readur-${name}-${runId}`;
  const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), `readur-${name}-`));
  const logFile = path.join(storagePath, 'services.log');
  let stack: Stack | undefined;

  return {
    runId,
    databaseUrl,
    exchange,
    storagePath,
    logFile,
    start: async (options = {}) => {
      stack = await startStack({
        ...options,
        randomPorts: true,
        databaseUrl,
        exchange,
        storagePath,
        output: (service, line) => {
          fs.appendFileSync(logFile, `${service} ${line}\n`);
          options.output?.(service, line);
        },
      });
      return stack;
    },
    dispose: async () => {
      await stack?.stop();
      const kept = path.join(os.tmpdir(), `readur-${name}-${runId}.log`);
      if (fs.existsSync(logFile)) fs.copyFileSync(logFile, kept);
      console.log(`service logs of this run: ${kept}`);
      await dropDatabase(databaseUrl);
      fs.rmSync(storagePath, { recursive: true, force: true });
    },
  };
}
