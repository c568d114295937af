import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../errors/domain-errors.js';

/**
 * What an API key may do, on top of (never beyond) what its user may do:
 * - `access`: `full` acts as the user; `read` may only read (GET/HEAD and the read-only POSTs
 *   that routes mark with `config: { readOnly: true }`, i.e. search).
 * - `collectionIds`: `null` reaches every collection the user can; a list reaches only those
 *   (others answer 404 like a missing collection, even public ones), and such a key cannot create
 *   collections.
 * Stored in `api_keys.permissions` as `{scope, collection_ids}`; a key without it (legacy rows,
 * keys created before scopes) is `full` over every collection, as it always was.
 */
export type ApiKeyAccess = 'full' | 'read';

export interface ApiKeyScope {
  access: ApiKeyAccess;
  collectionIds: readonly string[] | null;
}

export const FULL_SCOPE: ApiKeyScope = { access: 'full', collectionIds: null };

/** Up to 100 collections per key: the list is checked once on create and read on every request. */
export const MAX_KEY_COLLECTIONS = 100;

const storedScopeSchema = z.object({
  scope: z.enum(['full', 'read']).default('full'),
  collection_ids: z.array(z.uuid()).min(1).max(MAX_KEY_COLLECTIONS).nullish(),
});

/** The `permissions` jsonb a scope is stored as. */
export function permissionsOf(scope: ApiKeyScope): { scope: ApiKeyAccess; collection_ids: string[] | null } {
  return { scope: scope.access, collection_ids: scope.collectionIds ? [...scope.collectionIds] : null };
}

/**
 * The scope stored with a key. A legacy `permissions` value that is not an object, or an object
 * without our fields, means full (the Python original stored but never enforced it). An object
 * that has our fields but invalid values fails closed: the key is refused rather than widened.
 */
export function scopeOfPermissions(permissions: unknown): ApiKeyScope {
  if (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions)) return FULL_SCOPE;
  if (!('scope' in permissions) && !('collection_ids' in permissions)) return FULL_SCOPE;
  const parsed = storedScopeSchema.safeParse(permissions);
  if (!parsed.success) throw new UnauthorizedError('This API key has an unreadable scope; revoke it and create a new one');
  return { access: parsed.data.scope, collectionIds: parsed.data.collection_ids ? parsed.data.collection_ids.map((id) => id.toLowerCase()) : null };
}

/** Who is asking, as far as key scopes care: no `apiKeyScope` means a signed-in session (no narrowing). */
export interface ScopedCaller {
  apiKeyScope?: ApiKeyScope;
}

/** Whether the caller's key (if any) reaches this collection; the user's own rights are checked separately. */
export function keyReachesCollection(caller: ScopedCaller, collectionId: string): boolean {
  const ids = caller.apiKeyScope?.collectionIds;
  return !ids || ids.includes(collectionId.toLowerCase());
}

/** A collection-scoped key may not create collections: the new one would be outside its scope at birth. */
export function requireKeyMayCreateCollections(caller: ScopedCaller): void {
  if (caller.apiKeyScope?.collectionIds) {
    throw new ForbiddenError('This API key is limited to specific collections and cannot create collections; use a signed-in session or an unscoped key');
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The write check for read-only keys, run once in the authentication hook for every protected
 * route: any method but GET/HEAD/OPTIONS is a write unless the route declared `readOnly: true`.
 * Default-deny, so a new write route is covered without knowing about keys.
 */
export function requireKeyAllowsMethod(caller: ScopedCaller, method: string, routeIsReadOnly: boolean): void {
  if (caller.apiKeyScope?.access !== 'read') return;
  if (SAFE_METHODS.has(method.toUpperCase()) || routeIsReadOnly) return;
  throw new ForbiddenError('This API key is read-only: it may search and read, not change anything; use a key with scope "full" or a signed-in session');
}
