import type { Command } from 'commander';
import { sql } from 'kysely';
import { withCli } from '../cli/cli-context.js';
import type { Database } from './database.js';
import { migrateToLatest, migrationStatus, rollback } from './migrator.js';

export interface DatabaseCheck {
  backend: string;
  target: string;
  serverVersion: string;
  pgvectorVersion: string | null;
  pool: Database['pool'];
  poolStats: ReturnType<Database['poolStats']>;
  pendingMigrations: number;
}

/** Connectivity, versions and pool settings; throws with the fix when pgvector is missing. */
export async function checkDatabase(database: Database): Promise<DatabaseCheck> {
  const { rows } = await sql<{ server_version: string; installed: string | null; available: string | null }>`
    SELECT current_setting('server_version') AS server_version,
           (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
           (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available`.execute(database.db);
  const row = rows[0]!;
  const status = await migrationStatus(database.db);
  return {
    backend: database.kind,
    target: database.target,
    serverVersion: row.server_version,
    pgvectorVersion: row.installed ?? (row.available ? `${row.available} (available, not yet created: run \`semantik db migrate\`)` : null),
    pool: database.pool,
    poolStats: database.poolStats(),
    pendingMigrations: status.pending,
  };
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('schema migrations and database checks');

  db.command('migrate')
    .description('apply all pending schema migrations (safe to run from several processes at once)')
    .action(() =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const results = await migrateToLatest(database.db);
        if (results.length === 0) console.log('Database schema is up to date.');
        for (const r of results) console.log(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`);
      }),
    );

  db.command('rollback')
    .description('undo the most recent migration(s)')
    .option('--steps <n>', 'how many migrations to undo', '1')
    .action((opts: { steps: string }) =>
      withCli(async (ctx) => {
        const steps = Number(opts.steps);
        if (!Number.isInteger(steps) || steps < 1) {
          console.error('error: --steps must be a whole number ≥ 1');
          return 2;
        }
        const database = await ctx.openDatabase();
        const results = await rollback(database.db, steps);
        if (results.length === 0) console.log('Nothing to roll back.');
        for (const r of results) console.log(`rolled back: ${r.migrationName}`);
      }),
    );

  db.command('status')
    .description('list migrations and whether they have run')
    .action(() =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const status = await migrationStatus(database.db);
        for (const m of status.migrations) {
          console.log(`${m.executedAt ? 'applied ' + m.executedAt.toISOString() : 'pending'}  ${m.name}`);
        }
        console.log(status.pending === 0 ? 'Up to date.' : `${status.pending} pending: run \`semantik db migrate\`.`);
      }),
    );

  db.command('check')
    .description('test connectivity, server and pgvector versions, and show pool settings')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const check = await checkDatabase(database);
        if (opts.json) {
          console.log(JSON.stringify(check, null, 2));
        } else {
          console.log(`backend:     ${check.backend} — ${check.target}`);
          console.log(`server:      PostgreSQL ${check.serverVersion}`);
          console.log(`pgvector:    ${check.pgvectorVersion ?? 'MISSING'}`);
          const p = check.pool;
          console.log(
            `pool:        size ${p.size}, max overflow ${p.maxOverflow}, timeout ${p.timeoutMs / 1000} s, ` +
              `recycle ${p.recycleSeconds} s, pre-ping ${p.prePing ? 'on' : 'off'}`,
          );
          console.log(`migrations:  ${check.pendingMigrations === 0 ? 'up to date' : `${check.pendingMigrations} pending`}`);
        }
        if (!check.pgvectorVersion) {
          console.error(
            'error: pgvector is not installed on this server. Install it (Debian: bash scripts/setup-postgres.sh; ' +
              'Docker: the pgvector/pgvector image) and run `semantik db migrate`.',
          );
          return 1;
        }
        return 0;
      }),
    );
}
