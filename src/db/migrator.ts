import { type Kysely, type MigrationResult, Migrator, sql } from 'kysely';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const MIGRATION_TABLE = 'semantik_migrations';
const MIGRATION_LOCK_TABLE = 'semantik_migrations_lock';

function migrator(db: Kysely<any>): Migrator {
  // Kysely's Postgres adapter serialises migrators with pg_advisory_xact_lock, so two processes
  // starting at once run each migration exactly once; each migration runs in its own transaction.
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/** Fails with the operator's fix when pgvector is not installed on the server. */
export async function assertVectorExtensionAvailable(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ installed: string | null; available: string | null }>`
    SELECT
      (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
      (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available`.execute(db);
  const row = rows[0];
  if (!row?.installed && !row?.available) {
    throw new MigrationError(
      'The PostgreSQL server has no pgvector extension, which Semantik needs for embeddings.\n' +
        '  Fix: install pgvector on the server (Debian: `bash scripts/setup-postgres.sh`; Docker: use the\n' +
        '  pgvector/pgvector image, see docker-compose.postgres.yml), then run `semantik db migrate` again.',
    );
  }
}

function raise(results: MigrationResult[] | undefined, error: unknown, verb: string): never {
  const failed = results?.find((r) => r.status === 'Error');
  const cause = error instanceof Error ? error.message : String(error);
  if (/permission denied to create extension|must be owner|superuser/i.test(cause)) {
    throw new MigrationError(
      `Migration ${failed?.migrationName ?? ''} failed: ${cause}\n` +
        '  Fix: run `CREATE EXTENSION vector;` once as a superuser in this database, then migrate again.',
    );
  }
  throw new MigrationError(`Could not ${verb}${failed ? ` (${failed.migrationName})` : ''}: ${cause}`);
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  await assertVectorExtensionAvailable(db);
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) raise(results, error, 'migrate to latest');
  return results ?? [];
}

export async function rollback(db: Kysely<any>, steps = 1): Promise<MigrationResult[]> {
  const all: MigrationResult[] = [];
  for (let i = 0; i < steps; i++) {
    const { error, results } = await migrator(db).migrateDown();
    if (error) raise(results, error, 'roll back');
    if (!results?.length) break;
    all.push(...results);
  }
  return all;
}

export interface MigrationStatus {
  name: string;
  executedAt: Date | undefined;
}

export async function migrationStatus(db: Kysely<any>): Promise<{ migrations: MigrationStatus[]; pending: number }> {
  const infos = await migrator(db).getMigrations();
  const list = infos.map((m) => ({ name: m.name, executedAt: m.executedAt }));
  return { migrations: list, pending: list.filter((m) => !m.executedAt).length };
}
