import { createHmac, randomUUID } from 'node:crypto';
import {
  SignJWT,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  type KeyLike,
} from 'jose';

/** Mints access tokens the way the auth service does, and the forgeries an attacker tries. */
export interface TokenFactory {
  jwks: JSONWebKeySet;
  userId: string;
  /** The session every token of this factory belongs to; the echo upstream says it is live. */
  sessionId: string;
  valid(claims?: JWTPayload): Promise<string>;
  expired(): Promise<string>;
  tampered(): Promise<string>;
  algNone(): string;
  hs256WithPublicKey(): Promise<string>;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A key pair, its JWKS and token builders for one test file. */
export async function createTokenFactory(): Promise<TokenFactory> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const userId = randomUUID();
  const sessionId = randomUUID();
  const baseClaims = { role: 'user', username: 'alice', sub: userId, sid: sessionId };

  const sign = (key: KeyLike, claims: JWTPayload, expiresAt: number) =>
    new SignJWT({ ...baseClaims, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('readur')
      .setAudience(typeof claims.aud === 'string' ? claims.aud : 'readur-api')
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(key);
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  return {
    jwks,
    userId,
    sessionId,
    valid: (claims = {}) => sign(privateKey, claims, inAnHour()),
    expired: () => sign(privateKey, {}, Math.floor(Date.now() / 1000) - 600),
    tampered: async () => {
      const [header, , signature] = (await sign(privateKey, {}, inAnHour())).split('.');
      const payload = encode({ ...baseClaims, role: 'admin', iss: 'readur', aud: 'readur-api' });
      return `${header}.${payload}.${signature}`;
    },
    algNone: () => {
      const claims = { ...baseClaims, iss: 'readur', aud: 'readur-api', exp: inAnHour() };
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
    },
    hs256WithPublicKey: async () => {
      const secret = await exportSPKI(publicKey);
      const claims = { ...baseClaims, iss: 'readur', aud: 'readur-api', exp: inAnHour() };
      const input = `${encode({ alg: 'HS256', typ: 'JWT', kid })}.${encode(claims)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    },
  };
}
