import { mayReadCollection } from '../access/collection-access.js';
import type { Repositories } from '../db/repositories.js';
import type { CollectionRow, UserRow } from '../db/schema.js';
import { ForbiddenError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';

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
      if (reader.user.id !== other.owner_id && !(await mayReadCollection(repos, reader, other.collection_id))) throw new ForbiddenError(FOLDER_TAKEN);
    }
  }
}
