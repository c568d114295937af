import type { Repositories } from '../db/repositories.js';
import type { CollectionRow } from '../db/schema.js';
import { ForbiddenError, NotFoundError } from '../errors/domain-errors.js';
import { collectionAccessDenial, grantsMatter, type CollectionAccess, type CollectionAccessDenial } from './collection-access.rule.js';
import type { AccessPrincipal } from './principal.js';

export type { CollectionAccess } from './collection-access.rule.js';

/**
 * The collection, if the principal may do `access` with it (collection-access.rule.ts). A
 * collection they may not read is a 404 exactly like a missing one; one they may read but not
 * change is a 403.
 */
export async function requireCollectionAccess(
  repos: Pick<Repositories, 'collections' | 'access'>,
  principal: AccessPrincipal,
  collectionId: string,
  access: CollectionAccess,
): Promise<CollectionRow> {
  const collection = await repos.collections.findById(collectionId);
  const grants = collection && grantsMatter(principal, collection) ? await repos.access.listGrantLevels(collection.id, principal) : [];
  const denial = collectionAccessDenial(principal, collection, grants, access);
  if (denial === 'not_found' || !collection) throw new NotFoundError(`Collection ${collectionId} not found`);
  if (denial) throw new ForbiddenError(FORBIDDEN[denial](collection.name));
  return collection;
}

const FORBIDDEN: Record<Exclude<CollectionAccessDenial, 'not_found'>, (name: string) => string> = {
  read_only_key: (name) => `This API key is read-only: it may read collection "${name}" but not change it`,
  admin_only: (name) => `Only the owner of collection "${name}" (or an admin grant) may do this`,
  read_only: (name) => `You may read collection "${name}" but not change it`,
};

/** Whether the principal may read the collection (a 404 from requireCollectionAccess is `false`). */
export async function mayReadCollection(repos: Pick<Repositories, 'collections' | 'access'>, principal: AccessPrincipal, collectionId: string): Promise<boolean> {
  try {
    await requireCollectionAccess(repos, principal, collectionId, 'read');
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}
