import WebSocket from 'ws';
import { waitFor } from '@readur/testkit';

/** A message the gateway pushed: an event (`event`) or a control message (`type`). */
export interface LiveMessage {
  type?: string;
  event?: string;
  timestamp?: string;
  code?: string;
  events?: string[];
  data?: Record<string, unknown>;
  /** When the test received it (ms since the epoch). */
  receivedAt: number;
}

/** A test client of `GET /ws` that records everything it receives. */
export interface TestLiveClient {
  ws: WebSocket;
  messages: LiveMessage[];
  /** When each ping of the gateway arrived (ms since the epoch). */
  pings: number[];
  events(): LiveMessage[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
}

/** How a test client behaves; `autoPong: false` leaves the gateway's pings unanswered. */
export interface LiveClientOptions {
  autoPong?: boolean;
}

/** Opens `ws://.../ws`, offering `protocols`; resolves once the socket is open. */
export async function openLive(
  gatewayUrl: string,
  protocols: string[] = [],
  options: LiveClientOptions = {},
): Promise<TestLiveClient> {
  const ws = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/ws`, protocols, {
    autoPong: options.autoPong ?? true,
  });
  const messages: LiveMessage[] = [];
  const pings: number[] = [];
  ws.on('message', (raw: Buffer) => {
    messages.push({ ...(JSON.parse(raw.toString()) as object), receivedAt: Date.now() });
  });
  ws.on('ping', () => pings.push(Date.now()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    pings,
    closed,
    events: () => messages.filter((message) => message.event !== undefined),
    send: (message) => ws.send(JSON.stringify(message)),
  };
}

/** Opens a client authenticated through the handshake and waits for its `ready`. */
export async function connectAs(
  gatewayUrl: string,
  token: string,
  options: LiveClientOptions = {},
): Promise<TestLiveClient> {
  const client = await openLive(gatewayUrl, ['readur.v1', `bearer.${token}`], options);
  await waitFor(() => client.messages.some((m) => m.type === 'ready'), {
    description: 'the ready message',
  });
  return client;
}
