import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from '@readur/testkit';

/** One request as the sink saw it; `at` is the sink's own clock (ms, monotonic). */
export interface SinkRequest {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: { event: string; timestamp: string; webhook_id: string; data: Record<string, unknown> };
}

/** What the sink answers, after `delayMs` if given; `hang` never answers at all. */
export type SinkAnswer =
  { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/** A real HTTP receiver on loopback that records every request. */
export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** The most requests it had in flight at once (arrived, not yet answered). */
  peakInFlight(): number;
  /** Requests whose `X-Readur-Delivery` was not seen before (what a deduplicating receiver keeps). */
  unique(): SinkRequest[];
  waitForCount(count: number, timeoutMs?: number): Promise<SinkRequest[]>;
  close(): Promise<void>;
}

/** Where a sink listens: a free port unless `port` is given (e.g. one that was refused before). */
export interface SinkOptions {
  port?: number;
}

/** Starts a sink; `answer(n)` decides the answer to the n-th request (0-based). */
export async function startSink(
  answer: (index: number, request: SinkRequest) => SinkAnswer = () => ({ status: 200 }),
  options: SinkOptions = {},
): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let peak = 0;
  const server = http.createServer((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    res.once('close', () => (inFlight -= 1));

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: SinkRequest = {
        at: performance.now(),
        headers: req.headers,
        body,
        json: JSON.parse(body.toString('utf8')) as SinkRequest['json'],
      };
      const index = requests.push(request) - 1;
      const reply = answer(index, request);
      if (reply === 'hang') return;
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end('ok');
      }, reply.delayMs ?? 0);
    });
  });
  await listenOn(server, sockets, options.port ?? 0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    peakInFlight: () => peak,
    unique: () => {
      const seen = new Set<string>();
      return requests.filter((request) => {
        const key = `${request.json.webhook_id}/${String(request.headers['x-readur-delivery'])}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    },
    waitForCount: (count, timeoutMs = 15_000) =>
      waitFor(() => (requests.length >= count ? requests.slice() : undefined), {
        timeoutMs,
        description: `${count} requests at the sink (have ${requests.length})`,
      }),
    close: () => closeServer(server, sockets),
  };
}

/** A sink that answers 200 with a body of `bodyBytes`, written as fast as the reader takes it. */
export interface StreamingSink {
  url: string;
  requests(): number;
  /** Body bytes handed to the kernel before the reader closed the connection (or all of them). */
  bytesWritten(): number;
  /** Resolves once the response of the first request ended or its connection closed. */
  firstResponseClosed: Promise<void>;
  close(): Promise<void>;
}

const STREAM_CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Starts a sink whose every answer is a 200 with `bodyBytes` of body. */
export async function startStreamingSink(bodyBytes: number): Promise<StreamingSink> {
  const sockets = new Set<Socket>();
  let requests = 0;
  let written = 0;
  let closed: () => void = () => undefined;
  const firstResponseClosed = new Promise<void>((resolve) => (closed = resolve));

  const server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(bodyBytes) });
      let left = bodyBytes;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          const chunk = STREAM_CHUNK.subarray(0, Math.min(left, STREAM_CHUNK.length));
          left -= chunk.length;
          const more = res.write(chunk, (error) => {
            if (!error) written += chunk.length;
          });
          if (!more) {
            res.once('drain', pump);
            return;
          }
        }
        if (left === 0) res.end();
      };
      pump();
    });
    res.once('close', () => closed());
  });
  await listenOn(server, sockets, 0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => requests,
    bytesWritten: () => written,
    firstResponseClosed,
    close: () => closeServer(server, sockets),
  };
}

async function listenOn(server: http.Server, sockets: Set<Socket>, port: number): Promise<void> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

async function closeServer(server: http.Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
