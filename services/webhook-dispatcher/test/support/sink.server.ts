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

/** What the sink answers; `hang` never answers at all. */
export type SinkAnswer = { status: number; headers?: Record<string, string> } | 'hang';

/** A real HTTP receiver on loopback that records every request. */
export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Requests whose `X-Readur-Delivery` was not seen before (what a deduplicating receiver keeps). */
  unique(): SinkRequest[];
  waitForCount(count: number, timeoutMs?: number): Promise<SinkRequest[]>;
  close(): Promise<void>;
}

/** Starts a sink; `answer(n)` decides the answer to the n-th request (0-based). */
export async function startSink(
  answer: (index: number, request: SinkRequest) => SinkAnswer = () => ({ status: 200 }),
): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
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
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end('ok');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
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
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
