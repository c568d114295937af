import fs from 'node:fs';
import type { Command } from 'commander';
import { withCli } from '../cli/cli-context.js';
import { backupDatabase, describeTables, restoreDatabase, totalRows } from './backup.service.js';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description('consistent backup of the whole database (server: pg_dump -Fc; embedded: data-dir tarball) plus a manifest')
    .requiredOption('--out <file>', 'where to write the dump (the manifest goes to <file>.manifest.json)')
    .option('--pg-bin-dir <dir>', 'directory holding pg_dump/pg_restore of the server\'s major version')
    .option('--json', 'print the manifest as JSON')
    .action((opts: { out: string; pgBinDir?: string; json?: boolean }) =>
      withCli(async (ctx) => {
        const result = await backupDatabase(ctx.config, ctx.openDatabase, opts.out, { pgBinDir: opts.pgBinDir });
        if (opts.json) {
          console.log(JSON.stringify({ file: result.file, manifest_file: result.manifestFile, ...result.manifest }, null, 2));
          return 0;
        }
        const m = result.manifest;
        console.log(`backup:     ${result.file} (${formatBytes(m.dump.bytes)}, sha256 ${m.dump.sha256})`);
        console.log(`manifest:   ${result.manifestFile}`);
        console.log(`source:     ${m.source.target}, PostgreSQL ${m.source.server_version}`);
        console.log(`migration:  ${m.migration ?? '(schema not migrated)'}`);
        console.log(`tables:     ${Object.keys(m.tables).length}, ${totalRows(m)} rows`);
        for (const line of describeTables(m)) console.log(line);
        return 0;
      }),
    );

  program
    .command('restore')
    .description('restore a backup into an EMPTY database and verify it against the manifest (row counts + checksums)')
    .argument('<file>', 'the dump written by `semantik backup` (its .manifest.json must sit next to it)')
    .option('--force', 'server: drop the target\'s existing tables first; embedded: move the existing data dir aside')
    .option('--pg-bin-dir <dir>', 'directory holding pg_restore of the server\'s major version')
    .option('--json', 'print the verification result as JSON')
    .action((file: string, opts: { force?: boolean; pgBinDir?: string; json?: boolean }) =>
      withCli(async (ctx) => {
        if (!fs.existsSync(file)) {
          console.error(`error: backup file ${file} does not exist`);
          return 2;
        }
        const result = await restoreDatabase(ctx.config, ctx.openDatabase, file, { force: opts.force, pgBinDir: opts.pgBinDir });
        if (opts.json) {
          console.log(JSON.stringify({ verified: true, migration: result.fingerprint.migration, tables: result.fingerprint.tables }, null, 2));
          return 0;
        }
        console.log(`restored:   ${file} (taken ${result.manifest.created_at} from ${result.manifest.source.target})`);
        console.log(`migration:  ${result.fingerprint.migration ?? '(schema not migrated)'}`);
        console.log(`verified:   ${Object.keys(result.fingerprint.tables).length} tables, ${totalRows(result.fingerprint)} rows — counts and checksums match the manifest`);
        if (result.previousDataDir) console.log(`previous:   the database that was there is kept in ${result.previousDataDir}`);
        console.log('next:       `semantik db migrate` if this Semantik is newer than the backup, then start the app.');
        return 0;
      }),
    );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
