import { sql } from 'kysely';
import { resolveSourcePath } from '../document-roots/document-roots.js';
import type { Database } from '../db/database.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { ConflictError, DomainError } from '../errors/domain-errors.js';
import { reindexCollection } from '../collections/collection.service.js';
import { DEFAULT_EMBEDDING_MODEL } from '../ingest/index.js';

/**
 * `semantik reindex`: queues a `reindex` operation (the worker rebuilds chunks and embeddings from
 * the source folders) for every collection that needs one — after a legacy import, all of them —
 * or for every collection with `--all`. Collections whose folders are missing, unreadable or
 * outside SEMANTIK_DOCUMENT_ROOTS are reported, not queued: the worker could not read them anyway.
 * Each is queued through the API's own `reindexCollection`, acting as the collection's owner: the
 * same model choice, chunking check, vector index and `reindex_requested` audit row as
 * `POST /collections/{id}/reindex` (the audit's user agent says it came from the CLI).
 */
export interface ReindexResult {
  queued: Array<{ collectionId: string; name: string; operationId: string }>;
  unreachable: Array<{ collectionId: string; name: string; reasons: string[] }>;
  busy: Array<{ collectionId: string; name: string; reason: string }>;
}

/** The audit row's user agent for reindexes queued from the command line. */
export const CLI_USER_AGENT = 'semantik reindex (CLI)';

export async function reindexCollections(
  database: Database,
  documentRoots: readonly string[],
  {
    all = false,
    defaultEmbeddingModel = DEFAULT_EMBEDDING_MODEL,
    allowDotPaths = false,
  }: { all?: boolean; defaultEmbeddingModel?: string; allowDotPaths?: boolean } = {},
): Promise<ReindexResult> {
  const { rows } = await sql<{ id: string; name: string; owner_id: number; paths: string[] | null }>`
    SELECT c.id, c.name, c.owner_id, array_remove(array_agg(s.source_path ORDER BY s.id), NULL) AS paths
    FROM collections c LEFT JOIN collection_sources s ON s.collection_id = c.id
    WHERE ${all ? sql`true` : sql`c.needs_reindex`}
    GROUP BY c.id ORDER BY c.created_at, c.id`.execute(database.db);

  const result: ReindexResult = { queued: [], unreachable: [], busy: [] };
  for (const collection of rows) {
    const paths = collection.paths ?? [];
    // File-system checks happen before the transaction (a unit of work must not wait on I/O).
    const reasons: string[] = [];
    if (paths.length === 0) reasons.push('the collection has no source folders');
    for (const p of paths) {
      try {
        // The operator runs the CLI: full reasons, roots included.
        await resolveSourcePath(p, documentRoots, { allowDotPaths, revealDetails: true });
      } catch (err) {
        reasons.push(err instanceof DomainError ? err.message : `${p}: ${(err as Error).message}`);
      }
    }
    if (reasons.length) {
      result.unreachable.push({ collectionId: collection.id, name: collection.name, reasons });
      continue;
    }
    try {
      const operation = await inUnitOfWork(database, async (tx) => {
        const repos = repositoriesFor(tx);
        const owner = await repos.users.getById(collection.owner_id);
        const ctx = { tx, repos, principal: { user: owner }, config: { defaultEmbeddingModel }, meta: { userAgent: CLI_USER_AGENT } };
        return reindexCollection(ctx, collection.id, {});
      });
      result.queued.push({ collectionId: collection.id, name: collection.name, operationId: operation.id });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      result.busy.push({ collectionId: collection.id, name: collection.name, reason: err.message });
    }
  }
  return result;
}
