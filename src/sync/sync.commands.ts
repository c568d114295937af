import path from 'node:path';
import type { Command } from 'commander';
import { withCli } from '../cli/cli-context.js';
import { repositoriesFor } from '../db/repositories.js';
import type { CollectionSourceRow } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { NotFoundError } from '../errors/domain-errors.js';
import { enqueueSync } from './source-sync.service.js';

/**
 * `semantik sync <collection-id> [--source PATH]`: enqueues a sync as the operator (on behalf of
 * the collection's owner); a running worker executes it. Prints the operation id.
 */
export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description("bring a collection's sources in step with their folders (added, changed, deleted files)")
    .argument('<collection-id>', 'collection id')
    .option('--source <path>', 'only this source (its folder path as added)')
    .action((collectionId: string, opts: { source?: string }) =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const operation = await inUnitOfWork(database, async (tx) => {
          const repos = repositoriesFor(tx);
          const collection = await repos.collections.findById(collectionId);
          if (!collection) throw new NotFoundError(`No collection ${collectionId}`);
          let source: CollectionSourceRow | undefined;
          if (opts.source !== undefined) {
            source = (await repos.sources.findByPath(collectionId, opts.source)) ?? (await repos.sources.findByPath(collectionId, path.resolve(opts.source)));
            if (!source) throw new NotFoundError(`Collection ${collectionId} has no source ${opts.source}`);
          }
          return enqueueSync(tx, repos, { collectionId, userId: collection.owner_id, source, reason: 'manual' });
        });
        console.log(`sync operation ${operation.id} queued for collection ${collectionId}${opts.source ? ` (source ${opts.source})` : ''}`);
      }),
    );
}
