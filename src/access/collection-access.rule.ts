import { expressionBuilder, sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { keyReachesCollection } from '../api-keys/api-key.scope.js';
import type { CollectionRow, DB, PermissionLevel } from '../db/schema.js';
import type { AccessPrincipal } from './principal.js';

/**
 * The one authorization rule for collections, in the two forms callers need: SQL expressions that
 * other repositories put inside their queries (lists, search), and the decision for one loaded row
 * (get, documents, operations, WebSocket, MCP, every write). Both live here so they cannot drift;
 * `collection-access.spec.ts` checks that they agree for every kind of principal and collection.
 *
 * Read: superusers and owners; a collection_permissions row (to the user, or to the API key in
 * use) of any level; a public collection for every user. Lists are narrower for superusers: they
 * list their own, public and shared collections, not everyone's ("mine and what I can use"), and
 * read others' by id. Write (`write`: content and settings; `admin`: delete, change visibility):
 * superusers, owners, and grants of that level. Public means readable, never writable (the Python
 * original let any user write to public collections). An API key narrows this, never widens it: a
 * collection outside a collection-scoped key's list is invisible (even public or owned), and a
 * read-only key may only read.
 */

/** What a caller needs to do with a collection. */
export type CollectionAccess = 'read' | 'write' | 'admin';

const RANK: Record<PermissionLevel, number> = { read: 1, write: 2, admin: 3 };

/**
 * `not_found`: answer exactly like a missing collection (never leak existence). The others are a
 * 403: the caller may read the collection but not do this.
 */
export type CollectionAccessDenial = 'not_found' | 'read_only_key' | 'read_only' | 'admin_only';

type Collections = ExpressionBuilder<DB, 'collections'>;

/** A collection_permissions row on `collections.id` names this user or the API key in use. */
function grantedTo(eb: Collections, principal: AccessPrincipal): Expression<SqlBool> {
  const userId = principal.user.id;
  const keyId = principal.apiKeyId;
  return eb.exists(
    eb
      .selectFrom('collection_permissions as p')
      .select('p.id')
      .whereRef('p.collection_id', '=', 'collections.id')
      .where((w) => (keyId ? w.or([w('p.user_id', '=', userId), w('p.api_key_id', '=', keyId)]) : w('p.user_id', '=', userId))),
  );
}

function withinKeyScope(eb: Collections, principal: AccessPrincipal, rule: Expression<SqlBool>): Expression<SqlBool> {
  const ids = principal.apiKeyScope?.collectionIds;
  if (!ids) return rule;
  // A stored scope has 1..100 ids (api-key.scope.ts); an empty list still means "none".
  return ids.length > 0 ? eb.and([eb('collections.id', 'in', ids), rule]) : sql<SqlBool>`false`;
}

function ownPublicOrGranted(eb: Collections, principal: AccessPrincipal): Expression<SqlBool> {
  return eb.or([eb('collections.owner_id', '=', principal.user.id), eb('collections.is_public', '=', true), grantedTo(eb, principal)]);
}

/**
 * SQL: the principal may read this collection. References the `collections` table by its name, so
 * use it where `collections` is in scope unaliased: `.selectFrom('collections').where(mayRead(p))`.
 */
export function mayRead(principal: AccessPrincipal): Expression<SqlBool> {
  const eb = expressionBuilder<DB, 'collections'>();
  return withinKeyScope(eb, principal, principal.user.is_superuser ? sql<SqlBool>`true` : ownPublicOrGranted(eb, principal));
}

/** SQL: the collection appears in the principal's lists (collections, operations); see the rule above. */
export function isListedFor(principal: AccessPrincipal): Expression<SqlBool> {
  const eb = expressionBuilder<DB, 'collections'>();
  return withinKeyScope(eb, principal, ownPublicOrGranted(eb, principal));
}

/** SQL for one collection's grant lookup: the permission rows naming this user or key. */
export function grantsOf(principal: AccessPrincipal) {
  const eb = expressionBuilder<DB, 'collection_permissions'>();
  const keyId = principal.apiKeyId;
  const userId = principal.user.id;
  return keyId
    ? eb.or([eb('collection_permissions.user_id', '=', userId), eb('collection_permissions.api_key_id', '=', keyId)])
    : eb('collection_permissions.user_id', '=', userId);
}

type LoadedCollection = Pick<CollectionRow, 'id' | 'owner_id' | 'is_public'>;

/** Whether the decision depends on grants at all (owners and superusers need no lookup). */
export function grantsMatter(principal: AccessPrincipal, collection: LoadedCollection): boolean {
  return !principal.user.is_superuser && collection.owner_id !== principal.user.id;
}

/**
 * The decision for one loaded collection: `undefined` when allowed, else how to refuse.
 * `grants` are the levels granted to this user or key (only read when `grantsMatter`).
 */
export function collectionAccessDenial(
  principal: AccessPrincipal,
  collection: LoadedCollection | undefined,
  grants: readonly PermissionLevel[],
  access: CollectionAccess,
): CollectionAccessDenial | undefined {
  if (!collection || !keyReachesCollection(principal, collection.id)) return 'not_found';
  if (access !== 'read' && principal.apiKeyScope?.access === 'read') return 'read_only_key';
  if (!grantsMatter(principal, collection)) return undefined;
  const grantRank = Math.max(0, ...grants.map((level) => RANK[level]));
  if (grantRank === 0 && !collection.is_public) return 'not_found';
  if (access === 'read' || grantRank >= RANK[access]) return undefined;
  return access === 'admin' ? 'admin_only' : 'read_only';
}
