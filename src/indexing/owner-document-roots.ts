import { inUnitOfWork } from '../db/unit-of-work.js';
import { repositoriesFor } from '../db/repositories.js';
import type { JobContext } from '../jobs/job.context.js';
import { allowedDocumentRoots } from '../users/user-document-roots.js';

/**
 * The roots a job may read a collection's files from: its owner's (src/users/user-document-roots.ts),
 * looked up when the job runs, so an admin revoking a user's folder stops that user's next scan and
 * reindex too — not only new sources.
 */
export async function collectionOwnerDocumentRoots(ctx: JobContext<unknown>, collectionId: string): Promise<string[]> {
  const owner = await inUnitOfWork(
    ctx.database,
    async (tx) => {
      const repos = repositoriesFor(tx);
      const collection = await repos.collections.getById(collectionId);
      return repos.users.getById(collection.owner_id);
    },
    { readOnly: true },
  );
  return allowedDocumentRoots(owner, ctx.app);
}
