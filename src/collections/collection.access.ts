import { keyReachesCollection } from '../api-keys/api-key.scope.js';
import type { Repositories } from '../db/repositories.js';
import type { CollectionRow, PermissionLevel, UserRow } from '../db/schema.js';
import { ForbiddenError, NotFoundError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';

/**
 * What a route needs to do with a collection. `write`: change content and settings (sources,
 * reindex, rename, cancel operations); `admin`: delete it or change who can see it.
 */
export type CollectionAccess = 'read' | 'write' | 'admin';

const RANK: Record<PermissionLevel, number> = { read: 1, write: 2, admin: 3 };

/**
 * The one authorization rule for collections: superusers and owners may do anything; a
 * collection_permissions row (to the user, or to the API key in use) grants its level; a public
 * collection is readable by every user. A collection the caller may not read answers 404 exactly
 * like a missing one (never leak existence); one they may read but not change answers 403.
 * (The Python original let any user write to public collections; here public means read-only.)
 * An API key narrows this, never widens it: a collection outside a collection-scoped key's list is
 * a 404 (even public or owned), and a read-only key may only `read`.
 */
export async function requireCollectionAccess(
  repos: Repositories,
  principal: Principal,
  collectionId: string,
  access: CollectionAccess,
): Promise<CollectionRow> {
  const collection = await repos.collections.findById(collectionId);
  if (!collection || !keyReachesCollection(principal, collection.id)) throw new NotFoundError(`Collection ${collectionId} not found`);
  if (access !== 'read' && principal.apiKeyScope?.access === 'read') {
    throw new ForbiddenError(`This API key is read-only: it may read collection "${collection.name}" but not change it`);
  }
  if (principal.user.is_superuser || collection.owner_id === principal.user.id) return collection;

  const grants = await repos.permissions.listByCollection(collectionId);
  const grantRank = Math.max(
    0,
    ...grants
      .filter((g) => g.user_id === principal.user.id || (principal.apiKeyId !== undefined && g.api_key_id === principal.apiKeyId))
      .map((g) => RANK[g.permission]),
  );
  if (grantRank === 0 && !collection.is_public) throw new NotFoundError(`Collection ${collectionId} not found`);
  const needed = access === 'read' ? RANK.read : access === 'write' ? RANK.write : RANK.admin;
  if (access === 'read' || grantRank >= needed) return collection;
  throw new ForbiddenError(
    access === 'admin'
      ? `Only the owner of collection "${collection.name}" (or an admin grant) may do this`
      : `You may read collection "${collection.name}" but not change it`,
  );
}

async function canRead(repos: Repositories, principal: Principal, collectionId: string): Promise<boolean> {
  try {
    await requireCollectionAccess(repos, principal, collectionId, 'read');
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/** Deliberately vague: naming the collection or its owner would tell a stranger what they cannot see. */
const FOLDER_TAKEN =
  'This folder, a folder inside it or a folder around it is already indexed by a private collection you cannot read, so it cannot be added here; ask an administrator';

/**
 * Files reachable through a collection are readable by everyone who can read it, so a folder (or a
 * folder inside or around it, by real path) that another user's private collection already indexes
 * may only become a source of a second collection when both the caller and that collection's owner
 * can read the private one — otherwise a second account could read another's files by indexing the
 * same folder again. Superusers are exempt (they can read every collection anyway).
 */
export async function requireFolderNotPrivateToOthers(
  repos: Repositories,
  principal: Principal,
  collection: Pick<CollectionRow, 'id' | 'owner_id'>,
  owner: UserRow,
  realPath: string,
): Promise<void> {
  if (principal.user.is_superuser) return;
  const overlapping = await repos.sources.listOverlappingElsewhere(realPath, collection.id);
  const checked = new Set<string>();
  for (const other of overlapping) {
    if (other.is_public || checked.has(other.collection_id)) continue;
    checked.add(other.collection_id);
    const readers: Principal[] = [principal, ...(owner.id !== principal.user.id ? [{ user: owner }] : [])];
    for (const reader of readers) {
      if (reader.user.id !== other.owner_id && !(await canRead(repos, reader, other.collection_id))) throw new ForbiddenError(FOLDER_TAKEN);
    }
  }
}
