import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../auth/jwt.tokens.js';
import type { Repositories } from '../db/repositories.js';
import type { ApiKeyRow } from '../db/schema.js';
import { NotFoundError, UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../http/app-deps.js';

/** Recognisable in logs, config files and secret scanners. */
export const API_KEY_PREFIX = 'smk_';
/** `smk_` + 32 random bytes in base64url (43 characters). */
const API_KEY_PATTERN = /^smk_[A-Za-z0-9_-]{43}$/;
/**
 * last_used_at is written at most once a minute per key: a per-request write would turn every
 * read through an API key into a write (row lock + WAL) for a column read at minute precision.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyJson {
  id: string;
  name: string;
  key_prefix: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  is_active: boolean;
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export function toApiKeyJson(row: ApiKeyRow): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.key_prefix,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    is_active: row.is_active,
  };
}

/** Creates a key; the clear key is returned once, only its SHA-256 is stored. */
export async function createApiKey(
  repos: Repositories,
  userId: number,
  input: { name: string; expiresInDays?: number | null },
  now = new Date(),
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await repos.apiKeys.insert({
    user_id: userId,
    name: input.name,
    key_hash: sha256Hex(key),
    key_prefix: key.slice(0, API_KEY_PREFIX.length + 8),
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
  });
  return { row, key };
}

export async function revokeApiKey(repos: Repositories, userId: number, keyId: string): Promise<void> {
  if (!(await repos.apiKeys.deactivate(keyId, userId))) throw new NotFoundError(`API key ${keyId} not found`);
}

/** Active, unexpired key of an active user → its principal; anything else is the same 401. */
export async function authenticateApiKey(repos: Repositories, key: string, now = new Date()): Promise<Principal> {
  const invalid = new UnauthorizedError('Invalid, expired or revoked API key');
  if (!API_KEY_PATTERN.test(key)) throw invalid;
  const row = await repos.apiKeys.findByHash(sha256Hex(key));
  if (!row || !row.is_active || (row.expires_at && row.expires_at.getTime() <= now.getTime())) throw invalid;
  const user = await repos.users.findById(row.user_id);
  if (!user || !user.is_active) throw invalid;
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    await repos.apiKeys.touchLastUsed(row.id, now);
  }
  return { user, apiKeyId: row.id };
}
