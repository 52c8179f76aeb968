import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/** One running service process started by the stack. */
export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once: a crash, for tests of crash safety. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Where a service's output goes: a line handler, or nothing. */
export type OutputSink = (service: string, line: string) => void;

/** Spawns `node <script>` with `env`, forwarding each output line to `output`. */
export function spawnService(
  name: string,
  script: string,
  env: Record<string, string>,
  url: string,
  output?: OutputSink,
): ServiceProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = readline.createInterface({ input: stream });
    lines.on('line', (line) => output?.(name, line));
  }

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    name,
    url,
    child,
    exited,
    stop: (graceMs = 20_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}

/** Resolves when `GET url` answers 200, rejects after `timeoutMs` or if the process exits. */
export async function waitUntilReady(
  service: ServiceProcess,
  path: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));

  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${service.name} exited with code ${String(exitCode)} before it was ready`);
    }
    try {
      const res = await fetch(`${service.url}${path}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name} was not ready at ${service.url}${path} within ${timeoutMs} ms`);
}
