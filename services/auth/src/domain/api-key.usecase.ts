import { randomUUID } from 'node:crypto';
import { notFound } from '@readur/errors';
import type { ApiKeyRepository, ApiKeyRow, ApiKeyScope } from '../data/api-key.repository';
import { hashSecret, newOpaqueSecret } from './token.service';

/** The prefix of every API key: recognisable in logs, secret scanners and support tickets. */
export const API_KEY_PREFIX = 'rdr_key_';

/** Characters of a key shown in lists so its owner can tell keys apart. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/** A request for a new key, shape-checked at the edge. */
export interface NewApiKey {
  name: string;
  scope: ApiKeyScope;
  expiresAt: Date | null;
}

/** The public shape of a key; `key` is present only in the answer that created it. */
export interface ApiKeyJson {
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  key?: string;
}

/** Maps a stored key to its public shape. */
export function toApiKeyJson(row: ApiKeyRow): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

/** Creates a key; its secret is returned once and only its hash is stored. */
export async function createApiKey(
  deps: { apiKeys: ApiKeyRepository },
  userId: string,
  input: NewApiKey,
): Promise<ApiKeyJson> {
  const key = newOpaqueSecret(API_KEY_PREFIX);
  const row = await deps.apiKeys.insert({
    id: randomUUID(),
    userId,
    name: input.name,
    scope: input.scope,
    hash: hashSecret(key),
    prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
    expiresAt: input.expiresAt,
  });
  return { ...toApiKeyJson(row), key };
}

/** The user's live keys, without secrets. */
export async function listApiKeys(
  deps: { apiKeys: ApiKeyRepository },
  userId: string,
): Promise<ApiKeyJson[]> {
  return (await deps.apiKeys.listLive(userId)).map(toApiKeyJson);
}

/** Revokes one of the user's keys; another user's key is 404 like a missing one. */
export async function revokeApiKey(
  deps: { apiKeys: ApiKeyRepository },
  userId: string,
  keyId: string,
): Promise<void> {
  if (!(await deps.apiKeys.revoke(userId, keyId))) throw notFound('api_key');
}
