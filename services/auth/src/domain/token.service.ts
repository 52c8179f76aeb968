import { randomUUID } from 'node:crypto';
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
import type { SigningKeyRepository } from '../data/signing-key.repository';
import type { User } from './user.model';

/** The only algorithm access tokens are signed with. */
export const TOKEN_ALGORITHM = 'ES256';

/** The audience of every access token. */
export const TOKEN_AUDIENCE = 'readur-api';

/** How access tokens are issued. */
export interface TokenSettings {
  issuer: string;
  ttlSeconds: number;
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

async function newKeyPair() {
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

/** Signs access tokens with the shared key from the database and publishes the JWKS. */
export class TokenService {
  private constructor(
    private readonly keys: SigningKeyRepository,
    private readonly settings: TokenSettings,
    private readonly kid: string,
    private readonly privateKey: KeyLike,
  ) {}

  /** Loads the active signing key, generating and storing one on first start. */
  static async create(keys: SigningKeyRepository, settings: TokenSettings): Promise<TokenService> {
    const row = await keys.ensureActive(newKeyPair);
    const privateKey = await importPKCS8(row.private_key_pem, TOKEN_ALGORITHM);
    return new TokenService(keys, settings, row.kid, privateKey);
  }

  /** Issues an access token for `user`. */
  async issue(user: User): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: user.role, username: user.username })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: this.kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(this.settings.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.settings.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresIn: this.settings.ttlSeconds };
  }

  /** Every public key still in use, so tokens signed before a rotation keep verifying. */
  async jwks(): Promise<Jwks> {
    const rows = await this.keys.listActive();
    return { keys: rows.map((row) => row.public_jwk) };
  }
}
