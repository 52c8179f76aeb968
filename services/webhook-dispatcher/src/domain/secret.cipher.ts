import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

/** Encrypts webhook secrets at rest with AES-256-GCM; the webhook id is bound as AAD. */
export interface SecretCipher {
  encrypt(secret: string, webhookId: string): string;
  decrypt(ciphertext: string, webhookId: string): string;
}

/** A cipher whose key is derived (HKDF-SHA256) from `WEBHOOK_ENCRYPTION_KEY`. */
export function createSecretCipher(keyMaterial: string): SecretCipher {
  const key = Buffer.from(
    hkdfSync('sha256', keyMaterial, 'readur-webhooks', 'webhook-secret-v1', 32),
  );

  return {
    encrypt(secret, webhookId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(webhookId));
      const encrypted = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), encrypted].map((part) => part.toString('base64url'));
      return [VERSION, ...parts].join(':');
    },

    decrypt(ciphertext, webhookId) {
      const [version, iv, tag, encrypted] = ciphertext.split(':');
      if (version !== VERSION || !iv || !tag || encrypted === undefined) {
        throw new Error('unknown webhook secret format');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(webhookId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(encrypted, 'base64url')),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    },
  };
}

/** A new signing secret, shown to its owner once. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
