import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SourceScanConfig } from '../operations/job.registry.js';
import { PermanentJobError } from '../operations/job.context.js';
import { compileGlobList, GlobPatternError, type GlobMatcher } from './source-glob.js';

export interface ScannedFile {
  /** Absolute path as found under the source (a symlink's own path, never its target). */
  path: string;
  size: number;
  modifiedAt: Date;
  /**
   * SHA-256 hex of the bytes. Files that cannot or must not be read whole (empty, over the size
   * limit, unreadable) get `unhashed:<sha256(path, size, mtime, ctime)>` instead: stable while the
   * file does not change, so an unchanged bad file is not retried on every append, and different
   * empty files do not collapse into one document.
   */
  contentHash: string;
  /** A failure already known at scan time (the extractor would only repeat it). */
  problem?: string;
}

export interface RefusedFile {
  path: string;
  reason: string;
}

export interface SourceScan {
  files: ScannedFile[];
  /** Not read at all: symlinks that resolve outside SEMANTIK_DOCUMENT_ROOTS. */
  refused: RefusedFile[];
  /**
   * Folders that could not be listed (EACCES, EIO …). What they hold is unknown, not gone: the
   * planner keeps the documents under them instead of removing them as vanished.
   */
  unreadableFolders: RefusedFile[];
}

export interface ScanOptions extends SourceScanConfig {
  documentRoots: readonly string[];
  maxFileSizeBytes: number;
}

/** Files hashed at once: enough to keep the disk busy, few enough to bound open descriptors. */
const HASH_CONCURRENCY = 8;

/**
 * The walk hands the event loop a turn after at most this much synchronous work. The worker runs
 * in the API's process (`semantik serve`), so a long stretch delays every request; most entries
 * already await a stat, but skipped entries (dot-files) and matching do not.
 */
const MAX_BUSY_MS = 10;

/** `await breathe()` in a loop: yields (setImmediate, so pending I/O runs) once MAX_BUSY_MS passed. */
function eventLoopBreather(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < MAX_BUSY_MS) return;
    await nextTurn();
    since = performance.now();
  };
}

function compileGlobs(kind: 'include' | 'exclude', patterns: readonly string[]): GlobMatcher {
  try {
    return compileGlobList(patterns);
  } catch (err) {
    // Patterns stored before the limits existed: fail the operation once, with the fix.
    if (err instanceof GlobPatternError) throw new PermanentJobError(`Source ${kind} ${err.message}; add the source again with valid patterns`);
    throw err;
  }
}

export function isWithin(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => path.resolve(root))));
  return resolved;
}

export async function isInsideRoots(realPath: string, roots: readonly string[]): Promise<boolean> {
  return (await realRoots(roots)).some((root) => isWithin(root, realPath));
}

/**
 * Resolves a source path and checks it against the document roots by its real path (so a symlink
 * inside a root cannot point the scan at /etc). Throws PermanentJobError with the fix.
 */
export async function resolveSourceRoot(sourcePath: string, documentRoots: readonly string[]): Promise<{ realPath: string; isFile: boolean }> {
  if (!path.isAbsolute(sourcePath)) throw new PermanentJobError(`Source path "${sourcePath}" must be absolute`);
  let realPath: string;
  try {
    realPath = await fs.realpath(sourcePath);
  } catch (err) {
    throw new PermanentJobError(`Source path "${sourcePath}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!(await isInsideRoots(realPath, documentRoots))) {
    throw new PermanentJobError(
      `Source path "${sourcePath}" is outside the allowed document roots (${documentRoots.join(':')}); ` +
        'add its folder to SEMANTIK_DOCUMENT_ROOTS or move the files',
    );
  }
  const stat = await fs.stat(realPath);
  if (!stat.isDirectory() && !stat.isFile()) throw new PermanentJobError(`Source path "${sourcePath}" is neither a folder nor a file`);
  return { realPath, isFile: stat.isFile() };
}

/**
 * Walks a source (a folder, or one file) and hashes every candidate file. Honours `recursive` and
 * include/exclude globs (relative to the source; a pattern without `/` matches the file name),
 * skips dot-files and dot-folders (.git holds thousands of binary objects), never follows a
 * symlink outside the document roots, and never visits a folder twice (symlink loops).
 */
export async function scanSource(sourcePath: string, options: ScanOptions): Promise<SourceScan> {
  const source = await resolveSourceRoot(sourcePath, options.documentRoots);
  const roots = await realRoots(options.documentRoots);
  const include = options.include.length > 0 ? compileGlobs('include', options.include) : () => true;
  const exclude = compileGlobs('exclude', options.exclude);
  const breathe = eventLoopBreather();
  const candidates: { path: string; stat: Stats | undefined; problem?: string }[] = [];
  const refused: RefusedFile[] = [];
  const unreadableFolders: RefusedFile[] = [];

  const consider = async (filePath: string, relative: string, isSymlink: boolean): Promise<'dir' | 'file' | 'skip'> => {
    let stat: Stats;
    if (isSymlink) {
      let target: string;
      try {
        target = await fs.realpath(filePath);
      } catch (err) {
        if (include(relative) && !exclude(relative)) {
          candidates.push({ path: filePath, stat: undefined, problem: `cannot read file: broken symlink (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        }
        return 'skip';
      }
      if (!roots.some((root) => isWithin(root, target))) {
        refused.push({ path: filePath, reason: 'symlink resolves outside the allowed document roots (SEMANTIK_DOCUMENT_ROOTS)' });
        return 'skip';
      }
      stat = await fs.stat(target);
    } else {
      stat = await fs.lstat(filePath);
    }
    if (stat.isDirectory()) return 'dir';
    // Sockets, FIFOs and devices are skipped: reading a FIFO would block the worker forever.
    if (!stat.isFile()) return 'skip';
    if (include(relative) && !exclude(relative)) candidates.push({ path: filePath, stat });
    return 'file';
  };

  if (source.isFile) {
    await consider(path.resolve(sourcePath), path.basename(sourcePath), (await fs.lstat(sourcePath)).isSymbolicLink());
  } else {
    const visited = new Set<string>([source.realPath]);
    const walk = async (dir: string, relativeDir: string): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        unreadableFolders.push({ path: dir, reason: `cannot list folder: ${err.code ?? err.message}` });
        return [];
      });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        await breathe();
        if (entry.name.startsWith('.')) continue;
        const full = path.join(dir, entry.name);
        const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        const kind = await consider(full, relative, entry.isSymbolicLink());
        if (kind !== 'dir' || !options.recursive || exclude(relative)) continue;
        const real = await fs.realpath(full);
        if (visited.has(real)) continue;
        visited.add(real);
        await walk(full, relative);
      }
    };
    await walk(path.resolve(sourcePath), '');
  }

  const files: ScannedFile[] = new Array(candidates.length);
  let next = 0;
  const hashWorker = async () => {
    while (next < candidates.length) {
      const index = next++;
      const candidate = candidates[index]!;
      files[index] = await describeFile(candidate.path, candidate.stat, candidate.problem, options.maxFileSizeBytes);
      await breathe();
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, hashWorker));
  return { files, refused, unreadableFolders };
}

async function describeFile(filePath: string, stat: Stats | undefined, problem: string | undefined, maxBytes: number): Promise<ScannedFile> {
  const size = stat?.size ?? 0;
  const modifiedAt = stat?.mtime ?? new Date(0);
  const unhashed = () =>
    `unhashed:${createHash('sha256').update(`${filePath}\0${size}\0${stat?.mtimeMs ?? 0}\0${stat?.ctimeMs ?? 0}`).digest('hex')}`;
  if (problem || !stat) return { path: filePath, size, modifiedAt, contentHash: unhashed(), problem: problem ?? 'cannot read file' };
  if (size === 0 || size > maxBytes) return { path: filePath, size, modifiedAt, contentHash: unhashed() };
  try {
    return { path: filePath, size, modifiedAt, contentHash: await sha256File(filePath) };
  } catch {
    // Unreadable (permissions, vanished): the extractor reports the precise reason.
    return { path: filePath, size, modifiedAt, contentHash: unhashed() };
  }
}

function sha256File(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
