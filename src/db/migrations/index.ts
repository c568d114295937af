import type { Migration } from 'kysely';
import * as initialSchema from './20261124T0700-initial-schema.js';
import * as sqliteImportState from './20261124T0800-sqlite-import-state.js';
import * as chunksInlineTsvector from './20261130T1000-chunks-inline-tsvector.js';
import * as bm25TermStats from './20261201T0900-bm25-term-stats.js';
import * as collectionNamesPerOwner from './20261202T0100-collection-names-per-owner.js';
import * as userAdminAndRoots from './20261202T0200-user-admin-and-roots.js';
import * as sessionBoundAccessTokens from './20261202T0400-session-bound-access-tokens.js';
import * as sourceSyncSchedules from './20261202T0600-source-sync-schedules.js';

/**
 * Every migration, by frozen name. A static list (not a folder scan) so the set is the same under
 * tsx, vitest and the compiled dist/ build. Names sort in the order they run.
 */
export const migrations: Record<string, Migration> = {
  '20261124T0700-initial-schema': initialSchema,
  '20261124T0800-sqlite-import-state': sqliteImportState,
  '20261130T1000-chunks-inline-tsvector': chunksInlineTsvector,
  '20261201T0900-bm25-term-stats': bm25TermStats,
  '20261202T0100-collection-names-per-owner': collectionNamesPerOwner,
  '20261202T0200-user-admin-and-roots': userAdminAndRoots,
  '20261202T0400-session-bound-access-tokens': sessionBoundAccessTokens,
  '20261202T0600-source-sync-schedules': sourceSyncSchedules,
};
