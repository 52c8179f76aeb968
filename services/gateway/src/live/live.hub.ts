import { PUBLIC_EVENTS, toLiveEvent, type AnyEnvelope, type EventName } from '@readur/contracts';

/** One connected, authenticated live client, as the hub sees it. */
export interface LiveClient {
  readonly userId: string;
  /** Whether the client's subscribe filter lets `event` through. */
  accepts(event: EventName): boolean;
  /** Sends one serialised event; the client decides what to do when it cannot keep up. */
  push(text: string): void;
}

/** The live clients of this gateway replica, by user. */
export interface LiveHub {
  /** Registers a client; the returned function removes it again. */
  add(client: LiveClient): () => void;
  /** Pushes a public event to its owner's clients that subscribed to it; others see nothing. */
  deliver(envelope: AnyEnvelope): number;
  /** How many clients are connected. */
  size(): number;
}

const PUBLIC = new Set<string>(PUBLIC_EVENTS);

/** Creates an empty hub. Delivery is by `data.user_id` only: admins get their own events too. */
export function createLiveHub(): LiveHub {
  const byUser = new Map<string, Set<LiveClient>>();

  const add = (client: LiveClient) => {
    const clients = byUser.get(client.userId) ?? new Set<LiveClient>();
    clients.add(client);
    byUser.set(client.userId, clients);
    return () => {
      clients.delete(client);
      if (clients.size === 0 && byUser.get(client.userId) === clients) byUser.delete(client.userId);
    };
  };

  const deliver = (envelope: AnyEnvelope) => {
    if (!PUBLIC.has(envelope.event)) return 0;
    const owner = (envelope.data as { user_id?: string }).user_id;
    const clients = owner ? byUser.get(owner) : undefined;
    if (!clients) return 0;

    // Serialised once, however many of the owner's clients get it.
    const text = JSON.stringify(toLiveEvent(envelope));
    let sent = 0;
    for (const client of clients) {
      if (!client.accepts(envelope.event)) continue;
      client.push(text);
      sent += 1;
    }
    return sent;
  };

  const size = () => [...byUser.values()].reduce((total, clients) => total + clients.size, 0);

  return { add, deliver, size };
}
