import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const README = path.resolve(__dirname, '../../../../README.md');

/** The code block that follows `<!-- webhook-receiver:<name> -->` in the README, unchanged. */
export function readmeSnippet(name: 'python' | 'node'): string {
  const text = readFileSync(README, 'utf8');
  const marker = `<!-- webhook-receiver:${name} -->`;
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`README has no ${marker}`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(start));
  if (!block?.[1]) throw new Error(`no code block after ${marker}`);
  return block[1];
}

/** One signature check for the Python function. */
export interface SignatureCase {
  secret: string;
  body: Buffer;
  signature: string;
}

/**
 * Runs the README's Python `verify_signature` with python3 on each case and returns its
 * answers. The function is used as documented; only a driver that feeds it is appended.
 */
export async function runPythonVerifier(cases: SignatureCase[]): Promise<boolean[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'readur-webhook-py-'));
  try {
    const driver = [
      readmeSnippet('python'),
      'import base64, json, sys',
      'cases = json.load(sys.stdin)',
      'print(json.dumps([verify_signature(c["secret"], base64.b64decode(c["body"]), c["signature"]) for c in cases]))',
      '',
    ].join('\n');
    const file = path.join(dir, 'verify.py');
    await writeFile(file, driver);
    const input = JSON.stringify(
      cases.map((entry) => ({ ...entry, body: entry.body.toString('base64') })),
    );
    const output = await run('python3', [file], input);
    return JSON.parse(output) as boolean[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });
}

/** The README's Node receiver, running as its own process. */
export interface NodeReceiver {
  /** What it logged: one line per delivery it accepted and had not seen before. */
  handled: { delivery: string; event: string; data: Record<string, unknown> }[];
  stop(): Promise<void>;
}

/** Starts the README's Node receiver with `WEBHOOK_SECRET` and `PORT`, as documented. */
export async function startNodeReceiver(secret: string, port: number): Promise<NodeReceiver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'readur-webhook-js-'));
  const file = path.join(dir, 'receiver.js');
  await writeFile(file, readmeSnippet('node'));
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const handled: NodeReceiver['handled'] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) handled.push(JSON.parse(line) as never);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    handled,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
