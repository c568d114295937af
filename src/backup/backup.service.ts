import fs from 'node:fs';
import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { manifestPathFor, type BackupManifest } from './backup-manifest.js';
import { BackupError } from './backup.errors.js';
import { totalRows, type DatabaseFingerprint } from './database-fingerprint.js';
import { backupEmbedded, restoreEmbedded } from './embedded-backup.js';
import { backupServer, restoreServer } from './server-backup.js';

/**
 * `semantik backup` / `semantik restore` for whichever database the configuration points at:
 * DATABASE_URL → pg_dump/pg_restore; unset → the embedded data directory.
 */
export interface BackupOptions {
  pgBinDir?: string;
}

export interface RestoreOptions extends BackupOptions {
  force?: boolean;
}

export interface BackupSummary {
  file: string;
  manifestFile: string;
  manifest: BackupManifest;
}

export interface RestoreSummary {
  manifest: BackupManifest;
  fingerprint: DatabaseFingerprint;
  previousDataDir?: string;
}

export async function backupDatabase(
  config: AppConfig,
  openDatabase: () => Promise<Database>,
  outFile: string,
  options: BackupOptions = {},
): Promise<BackupSummary> {
  for (const existing of [outFile, manifestPathFor(outFile)]) {
    if (fs.existsSync(existing)) {
      throw new BackupError(`${existing} already exists; a backup never overwrites another one. Choose a new --out name.`);
    }
  }
  if (config.databaseUrl) return backupServer(await openDatabase(), config.databaseUrl, outFile, options);
  return backupEmbedded(config.dataDir, outFile);
}

export async function restoreDatabase(
  config: AppConfig,
  openDatabase: () => Promise<Database>,
  dumpFile: string,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  if (config.databaseUrl) return restoreServer(await openDatabase(), config.databaseUrl, dumpFile, options);
  return restoreEmbedded(config.dataDir, dumpFile, options);
}

/** One line per table, for the CLI and the runbook's expected output. */
export function describeTables(fingerprint: Pick<DatabaseFingerprint, 'tables'>): string[] {
  return Object.entries(fingerprint.tables).map(([name, t]) => `  ${name.padEnd(28)} ${String(t.rows).padStart(10)} ${t.rows === 1 ? 'row' : 'rows'}`);
}

export { totalRows };
