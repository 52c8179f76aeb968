#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startStack } from './stack';

const HELP = `Usage: pnpm start [options]

Starts every Readur service on this machine against the local PostgreSQL and RabbitMQ
(migrations run first), prints where the API listens, and stops cleanly on Ctrl-C.

Options:
  --port <n>          gateway port (default 8080)
  --ocr-workers <n>   ocr-worker processes to run, 1 to 32 (default 1)
  --quiet             do not print the services' log lines
  -h, --help          show this help

Environment (optional): DATABASE_URL (default postgres://postgres@127.0.0.1:5432/readur),
AMQP_URL, AMQP_EXCHANGE, INTERNAL_API_TOKEN (generated when unset), ADMIN_USERNAME,
ADMIN_PASSWORD (generated and printed once when unset), OCR_LANGUAGES, OCR_CONCURRENCY,
STORAGE_PATH, LOG_LEVEL. See README.md for every variable.
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      'ocr-workers': { type: 'string', default: '1' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }

  const port = wholeNumber('--port', values.port, 1, 65_535);
  const ocrWorkers = wholeNumber('--ocr-workers', values['ocr-workers'], 1, 32);

  const output = values.quiet
    ? undefined
    : (service: string, line: string) => process.stdout.write(`${service.padEnd(12)} ${line}\n`);
  console.log('starting Readur: auth, document, ocr-worker, webhook-dispatcher, sync, gateway ...');
  const stack = await startStack({
    gatewayPort: port,
    ocrWorkers,
    output,
  });
  console.log(`\nReadur API listening on ${stack.gatewayUrl} (Ctrl-C stops it)\n`);

  let stopping = false;
  const stop = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping Readur ...');
    stack.stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  // `kill <pid of make run>` ends make and pnpm but not this process: once the command that
  // started it is gone (this process is re-parented), stop as on Ctrl-C.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop(0);
  }, 1_000).unref();

  // A service that dies on its own (a crash, a port another program holds) must not leave a
  // half-working stack that still looks up: say which one and stop the rest.
  for (const service of stack.services) {
    void service.exited.then((code) => {
      if (stopping) return;
      const how = code === null ? 'was killed by a signal' : `exited with code ${code}`;
      console.error(`\nreadur: ${service.name} ${how}; it was not asked to stop`);
      stop(1);
    });
  }
}

/** `value` as a whole number in [min, max], or a usage error naming `option`. */
function wholeNumber(option: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (/^\d+$/.test(value) && number >= min && number <= max) return number;
  throw new Error(`${option} takes a whole number from ${min} to ${max}, not '${value}'`);
}

main().catch((error: unknown) => {
  console.error(`readur: ${(error as Error).message}`);
  process.exit(1);
});
