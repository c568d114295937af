import type { Command } from 'commander';
import { CliUsageError, withCli } from '../cli/cli-context.js';
import { DEFAULT_BATCH_SIZE, migrateSqlite } from './migrate-sqlite.service.js';
import { consoleProgress } from './progress.js';
import { formatReport } from './report.js';
import { reindexCollections } from './reindex.service.js';

interface MigrateFlags {
  source: string;
  target?: string;
  dryRun?: boolean;
  batchSize: string;
  json?: boolean;
  resume?: boolean;
  truncateTarget?: boolean;
  skipOrphans?: boolean;
}

export function registerMigrateSqliteCommands(program: Command): void {
  program
    .command('migrate-sqlite')
    .description('copy a legacy Semantik SQLite database (collections era or job-era webui.db) into PostgreSQL, verify it, print a report; exit 0 only when verified')
    .requiredOption('--source <file>', 'the legacy SQLite file (opened read-only, never modified)')
    .option('--target <url>', 'postgres:// URL of the target (default: the configured database)')
    .option('--dry-run', 'read and convert everything, report what would be written, write nothing')
    .option('--batch-size <n>', 'rows per COPY batch (one transaction each)', String(DEFAULT_BATCH_SIZE))
    .option('--json', 'print only the JSON report on stdout')
    .option('--resume', 'continue an interrupted import of the same file')
    .option('--truncate-target', 'delete everything in the target database first')
    .option('--skip-orphans', 'copy the rest when rows reference missing parents, and list what was skipped')
    .action((flags: MigrateFlags) =>
      withCli(async (ctx) => {
        const batchSize = Number(flags.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliUsageError('--batch-size must be a whole number ≥ 1');
        if (flags.resume && flags.truncateTarget) throw new CliUsageError('--resume and --truncate-target exclude each other');
        const report = await migrateSqlite({
          source: flags.source,
          target: flags.target,
          config: ctx.config,
          // Without --target the configured database is the target (embedded PGlite when DATABASE_URL is unset).
          database: flags.target || flags.dryRun ? undefined : await ctx.openDatabase(),
          dryRun: flags.dryRun,
          batchSize,
          resume: flags.resume,
          truncateTarget: flags.truncateTarget,
          skipOrphans: flags.skipOrphans,
          progress: consoleProgress(process.stderr, flags.json === true && !process.stderr.isTTY),
        });
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
        return report.exitCode;
      }),
    );

  program
    .command('reindex')
    .description('queue a reindex (rebuild chunks and embeddings from the source folders) for collections that need one, e.g. after migrate-sqlite')
    .option('--all', 'every collection, not only those marked as needing a reindex')
    .option('--json', 'print JSON')
    .action((flags: { all?: boolean; json?: boolean }) =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const result = await reindexCollections(database, ctx.config.documentRoots, { all: flags.all, defaultEmbeddingModel: ctx.config.defaultEmbeddingModel, allowDotPaths: ctx.config.allowDotPaths });
        if (flags.json) {
          console.log(JSON.stringify(result, null, 2));
        } else {
          for (const q of result.queued) console.log(`queued   ${q.name} (operation ${q.operationId})`);
          for (const b of result.busy) console.log(`busy     ${b.name}: ${b.reason}`);
          for (const u of result.unreachable) console.log(`skipped  ${u.name}: ${u.reasons.join('; ')}`);
          console.log(
            `${result.queued.length} reindex operation(s) queued; the worker processes them (\`semantik serve\` or \`semantik worker\`).` +
              (result.unreachable.length ? ` ${result.unreachable.length} collection(s) have unreachable sources: fix SEMANTIK_DOCUMENT_ROOTS or the folders and run this again.` : ''),
          );
        }
        return result.unreachable.length || result.busy.length ? 1 : 0;
      }),
    );
}
