import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../auth/jwt.tokens.js';
import type { Repositories } from '../db/repositories.js';
import type { ApiKeyRow } from '../db/schema.js';
import type { ApiKeyJson } from './api-key.response-schema.js';
import { ConflictError, NotFoundError, UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import { requireCollectionAccess } from '../access/collection-access.js';
import { FULL_SCOPE, permissionsOf, scopeOfPermissions, type ApiKeyAccess, type ApiKeyScope } from './api-key.scope.js';

/** Recognisable in logs, config files and secret scanners. */
export const API_KEY_PREFIX = 'smk_';
/** `smk_` + 32 random bytes in base64url (43 characters). */
const API_KEY_PATTERN = /^smk_[A-Za-z0-9_-]{43}$/;
/**
 * last_used_at is written at most once a minute per key: a per-request write would turn every
 * read through an API key into a write (row lock + WAL) for a column read at minute precision.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

export type { ApiKeyJson } from './api-key.response-schema.js';

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

/** A stored scope that does not parse is shown as what it does: the key is refused, it reaches nothing. */
function shownScope(permissions: unknown): ApiKeyScope {
  try {
    return scopeOfPermissions(permissions);
  } catch {
    return { access: 'read', collectionIds: [] };
  }
}

export function toApiKeyJson(row: ApiKeyRow): ApiKeyJson {
  const scope = shownScope(row.permissions);
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.key_prefix,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    is_active: row.is_active,
    scope: scope.access,
    collection_ids: scope.collectionIds ? [...scope.collectionIds] : null,
  };
}

export interface CreateApiKeyInput {
  name: string;
  expiresInDays?: number | null;
  /** Default `full` (the contract's keys act as their user). */
  access?: ApiKeyAccess;
  /** Omitted or null: every collection the user can reach. */
  collectionIds?: readonly string[] | null;
}

/**
 * Creates a key; the clear key is returned once, only its SHA-256 is stored. Each listed collection
 * must be one the creator can read now (else the same 404 as a missing one); the key's rights are
 * still checked against the user's on every request, so losing access later narrows the key too.
 */
export async function createApiKey(
  repos: Repositories,
  creator: Principal,
  input: CreateApiKeyInput,
  now = new Date(),
): Promise<{ row: ApiKeyRow; key: string }> {
  const collectionIds = input.collectionIds ? [...new Set(input.collectionIds.map((id) => id.toLowerCase()))] : null;
  for (const id of collectionIds ?? []) await requireCollectionAccess(repos, creator, id, 'read');
  const scope: ApiKeyScope = { access: input.access ?? FULL_SCOPE.access, collectionIds };
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await repos.apiKeys.insert({
    user_id: creator.user.id,
    name: input.name,
    key_hash: sha256Hex(key),
    key_prefix: key.slice(0, API_KEY_PREFIX.length + 8),
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
    permissions: permissionsOf(scope),
  });
  return { row, key };
}

export async function revokeApiKey(repos: Repositories, userId: number, keyId: string): Promise<void> {
  if (!(await repos.apiKeys.deactivate(keyId, userId))) throw new NotFoundError(`API key ${keyId} not found`);
}

/**
 * PATCH {is_active} (the newest original UI's toggle). Deactivating is revoking. Reactivating is
 * refused: a key is revoked because it may have leaked, and whoever holds it then would be let back
 * in silently — create a new key instead. Re-sending `true` for an active key is a no-op.
 */
export async function setApiKeyActive(repos: Repositories, userId: number, keyId: string, isActive: boolean): Promise<ApiKeyRow> {
  const row = await repos.apiKeys.findById(keyId);
  if (!row || row.user_id !== userId) throw new NotFoundError(`API key ${keyId} not found`);
  if (isActive) {
    if (!row.is_active) throw new ConflictError('A revoked API key cannot be reactivated (it may have leaked); create a new key with POST /api/v2/api-keys');
    return row;
  }
  await revokeApiKey(repos, userId, keyId);
  return { ...row, is_active: false };
}

/** Active, unexpired key of an active user → its principal; anything else is the same 401. */
export async function authenticateApiKey(repos: Repositories, key: string, now = new Date()): Promise<Principal> {
  const invalid = new UnauthorizedError('Invalid, expired or revoked API key');
  if (!API_KEY_PATTERN.test(key)) throw invalid;
  const row = await repos.apiKeys.findByHash(sha256Hex(key));
  if (!row || !row.is_active || (row.expires_at && row.expires_at.getTime() <= now.getTime())) throw invalid;
  const user = await repos.users.findById(row.user_id);
  if (!user || !user.is_active) throw invalid;
  const apiKeyScope = scopeOfPermissions(row.permissions);
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
    await repos.apiKeys.touchLastUsed(row.id, now);
  }
  return { user, apiKeyId: row.id, apiKeyScope };
}
