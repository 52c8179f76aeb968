import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/** What the echo upstream saw of one request. */
export interface Echo {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  sha256: string;
}

/** A tiny real upstream on loopback standing in for a service. */
export interface EchoUpstream {
  url: string;
  close(): Promise<void>;
}

/** The live session the echo upstream's introspection vouches for, as the auth service would. */
export interface LiveSession {
  sessionId: string;
  userId: string;
}

function answerIntrospection(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  live: LiveSession,
) {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const asked = JSON.parse(Buffer.concat(parts).toString()) as { session_id?: string };
    const answer =
      asked.session_id === live.sessionId
        ? {
            active: true,
            kind: 'session',
            user_id: live.userId,
            username: 'alice',
            role: 'user',
            scope: 'read_write',
          }
        : { active: false };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
}

/**
 * Answers `GET /api/auth/jwks` with `jwks`, the gateway's introspection for `live`, never
 * answers `/api/documents/slow`, and answers everything else with an `Echo` after hashing the
 * body as it streams (nothing is kept).
 */
export async function startEchoUpstream(
  jwks: JSONWebKeySet,
  live: LiveSession,
): Promise<EchoUpstream> {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/auth/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
      return;
    }
    if (req.url === '/internal/auth/introspect') {
      answerIntrospection(req, res, live);
      return;
    }
    if (req.url === '/api/documents/slow') return;

    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        bytes,
        sha256: hash.digest('hex'),
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
