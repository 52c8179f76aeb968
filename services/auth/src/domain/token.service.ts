import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type KeyLike,
} from 'jose';
import type { Logger } from '@readur/logger';
import type {
  NewSigningKey,
  SigningKeyRepository,
  SigningKeyRow,
} from '../data/signing-key.repository';
import type { User } from './user.model';

/** The only algorithm access tokens are signed with. */
export const TOKEN_ALGORITHM = 'ES256';

/** The audience of every access token. */
export const TOKEN_AUDIENCE = 'readur-api';

/** How access tokens are issued and signing keys rotated. */
export interface TokenSettings {
  issuer: string;
  ttlSeconds: number;
  /** A key older than this is replaced by the periodic check. */
  rotationSeconds: number;
  /** A new key is published this long before it signs. */
  publishLeadSeconds: number;
  /** How often a replica looks for a newer key (and rotates when due). */
  refreshIntervalMs?: number;
}

/** An issued access token and its lifetime. */
export interface AccessToken {
  token: string;
  expiresIn: number;
}

/** The JSON Web Key Set the gateway verifies tokens against. */
export interface Jwks {
  keys: JWK[];
}

interface Signer {
  kid: string;
  privateKey: KeyLike;
}

async function newKeyPair(): Promise<NewSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    algorithm: TOKEN_ALGORITHM,
    public_jwk: { ...jwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' },
    private_key_pem: await exportPKCS8(privateKey),
  };
}

async function toSigner(row: SigningKeyRow): Promise<Signer> {
  return { kid: row.kid, privateKey: await importPKCS8(row.private_key_pem, TOKEN_ALGORITHM) };
}

/** A random opaque secret (refresh tokens, API keys) with a recognisable prefix. */
export function newOpaqueSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The stored form of an opaque secret: it has 256 random bits, so a plain SHA-256 suffices. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Signs access tokens with the current key from the database and publishes the JWKS. Keys
 * rotate on a schedule (or on demand); every replica picks up the new key on its next check,
 * and old public keys stay published until tokens they signed have expired.
 */
export class TokenService {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly keys: SigningKeyRepository,
    private readonly settings: TokenSettings,
    private readonly logger: Logger,
    private signer: Signer,
  ) {}

  /** Loads the signing key, generating and storing one on first start. */
  static async create(
    keys: SigningKeyRepository,
    settings: TokenSettings,
    logger: Logger,
  ): Promise<TokenService> {
    const row = await keys.ensureActive(newKeyPair);
    const service = new TokenService(keys, settings, logger, await toSigner(row));
    await service.refresh();
    return service;
  }

  /** Starts the periodic key check; `stop` ends it. */
  start(): void {
    const interval = this.settings.refreshIntervalMs ?? 60_000;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn('signing key check failed', { error: String(error) }),
      );
    }, interval);
    this.timer.unref();
  }

  /** Stops the periodic key check. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Rotates when the key is due, then switches to whichever key signs now. */
  async refresh(): Promise<void> {
    const dueBefore = new Date(Date.now() - this.settings.rotationSeconds * 1000);
    const rotated = await this.keys.rotate(newKeyPair, this.timing(), dueBefore);
    if (rotated) this.logger.info('signing key rotated', { kid: rotated.kid });
    await this.useCurrentKey();
  }

  /** Rotates now (admin action); the new key signs after the publication lead time. */
  async rotate(): Promise<{ kid: string; activatesAt: Date }> {
    const row = await this.keys.rotate(newKeyPair, this.timing());
    if (!row) throw new Error('rotation inserted no key');
    this.logger.info('signing key rotated', { kid: row.kid, on_demand: true });
    await this.useCurrentKey();
    return { kid: row.kid, activatesAt: row.activates_at };
  }

  /** The `kid` tokens are signed with right now. */
  currentKid(): string {
    return this.signer.kid;
  }

  /** Issues an access token for `user` within session `sessionId`. */
  async issue(user: User, sessionId: string): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: user.role, username: user.username, sid: sessionId })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: this.signer.kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(this.settings.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.signer.privateKey);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /** Every published public key: the current one, the next one and retiring ones. */
  async jwks(): Promise<Jwks> {
    const rows = await this.keys.listPublished();
    return { keys: rows.map((row) => row.public_jwk) };
  }

  private timing() {
    return {
      leadSeconds: this.settings.publishLeadSeconds,
      // A minute of slack for clocks that disagree.
      retireAfterSeconds: this.settings.ttlSeconds + 60,
    };
  }

  private async useCurrentKey(): Promise<void> {
    const row = await this.keys.current();
    if (row && row.kid !== this.signer.kid) this.signer = await toSigner(row);
  }
}
