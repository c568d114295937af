import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { BackupError } from './backup.errors.js';

/**
 * The manifest is a small JSON file written next to the dump (`<dump>.manifest.json`) after the
 * dump is complete: its presence means the backup finished, its sha256 catches a damaged or
 * swapped dump before anything is touched, and its fingerprint is what `restore` verifies.
 */
export const MANIFEST_FORMAT = 'semantik-backup/1';

export const backupKinds = ['pg_dump-custom', 'pglite-datadir-tar-gz'] as const;
export type BackupKind = (typeof backupKinds)[number];

const tableFingerprintSchema = z.object({ rows: z.number().int().min(0), checksum: z.string() });

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.enum(backupKinds),
  created_at: z.string(),
  semantik_version: z.string(),
  source: z.object({ backend: z.enum(['server', 'embedded']), target: z.string(), server_version: z.string() }),
  dump: z.object({
    file: z.string(),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** "pg_dump 16.4" or "PGlite 0.4.6": pg_restore must be at least this major version. */
    tool: z.string(),
  }),
  migration: z.string().nullable(),
  tables: z.record(z.string(), tableFingerprintSchema),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export function manifestPathFor(dumpFile: string): string {
  return `${dumpFile}.manifest.json`;
}

export function writeManifest(dumpFile: string, manifest: BackupManifest): string {
  const target = manifestPathFor(dumpFile);
  fs.writeFileSync(target, `${JSON.stringify(manifest, null, 2)}\n`);
  return target;
}

export function readManifest(dumpFile: string): BackupManifest {
  const file = manifestPathFor(dumpFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new BackupError(
      `No manifest at ${file}. A Semantik backup is two files: the dump and <dump>.manifest.json, written when ` +
        'the backup completed. Copy both (a dump without its manifest may be incomplete and cannot be verified).',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BackupError(`The manifest ${file} is not valid JSON (${(err as Error).message}); the backup is damaged.`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackupError(
      `The manifest ${file} is not a ${MANIFEST_FORMAT} manifest: ` +
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Fails before a restore touches anything when the dump is not the file the manifest describes. */
export async function assertDumpIntact(dumpFile: string, manifest: BackupManifest): Promise<void> {
  let size: number;
  try {
    size = fs.statSync(dumpFile).size;
  } catch {
    throw new BackupError(`Backup file ${dumpFile} does not exist.`);
  }
  const digest = await sha256File(dumpFile);
  if (size !== manifest.dump.bytes || digest !== manifest.dump.sha256) {
    throw new BackupError(
      `The backup file ${dumpFile} is corrupted or is not the one its manifest describes ` +
        `(expected ${manifest.dump.bytes} bytes, sha256 ${manifest.dump.sha256.slice(0, 12)}…; ` +
        `found ${size} bytes, sha256 ${digest.slice(0, 12)}…). Nothing was restored; use another copy of the backup.`,
    );
  }
}

let cachedVersion: string | undefined;
/** package.json sits two levels up from both src/backup and dist/backup. */
export function semantikVersion(): string {
  if (!cachedVersion) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
