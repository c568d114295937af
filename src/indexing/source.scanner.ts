import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  DocumentFileRefusedError,
  locateInRoots,
  openDocumentFile,
  type DocumentFileRefusal,
  type DotPathPolicy,
  type OpenedDocumentFile,
} from '../document-roots/document-roots.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import type { SourceScanConfig } from './job-payloads.js';
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
  /** Files actually opened and hashed (the others matched their document's size and mtime). */
  hashed: number;
}

export interface ScanOptions extends SourceScanConfig {
  documentRoots: readonly string[];
  maxFileSizeBytes: number;
  /** SEMANTIK_ALLOW_DOT_PATHS; default false. Dot entries met by the walk are skipped either way. */
  allowDotPaths?: boolean;
  /**
   * Indexed files by path: one whose size and mtime are unchanged keeps this content hash and is
   * not opened, so a sync over an unchanged folder reads no file (only stats).
   */
  known?: ReadonlyMap<string, { size: number; modifiedMs: number; contentHash: string }>;
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

/**
 * Resolves a source path and checks it against the document roots by its real path (so a symlink
 * inside a root cannot point the scan at /etc) and the dot-path rule. Throws PermanentJobError with
 * the fix; the operation's owner reads it, so the configured roots are not listed.
 */
export async function resolveSourceRoot(
  sourcePath: string,
  documentRoots: readonly string[],
  policy: DotPathPolicy,
): Promise<{ realPath: string; isFile: boolean }> {
  if (!path.isAbsolute(sourcePath)) throw new PermanentJobError(`Source path "${sourcePath}" must be absolute`);
  const located = await locateInRoots(sourcePath, documentRoots, policy);
  if (!located.ok) {
    switch (located.why) {
      case 'missing':
        throw new PermanentJobError(`Source path "${sourcePath}" cannot be read: ${located.code}`);
      case 'outside_roots':
        throw new PermanentJobError(`Source path "${sourcePath}" is outside the allowed document roots; add its folder to SEMANTIK_DOCUMENT_ROOTS or move the files`);
      case 'dot_path':
        throw new PermanentJobError(`Source path "${sourcePath}" is under a dot-folder ("${located.segment}"); set SEMANTIK_ALLOW_DOT_PATHS=true to index hidden folders`);
    }
  }
  if (!located.stat.isDirectory() && !located.stat.isFile()) throw new PermanentJobError(`Source path "${sourcePath}" is neither a folder nor a file`);
  return { realPath: located.realPath, isFile: located.stat.isFile() };
}

/** What the walk met: a candidate file (stat undefined + problem for a broken symlink), or a refusal. */
export type SourceWalkEvent =
  | { kind: 'file'; path: string; stat: Stats | undefined; problem?: string }
  | { kind: 'refused'; path: string; reason: string }
  | { kind: 'unreadable_folder'; path: string; reason: string };

export interface SourceWalkOptions {
  recursive: boolean;
  include: GlobMatcher;
  exclude: GlobMatcher;
  documentRoots: readonly string[];
  policy: DotPathPolicy;
  /** Checked before every entry: an aborted walk stops where it is (the preview's caps). */
  signal?: AbortSignal;
}

/**
 * The walk of a source already resolved by resolveSourceRoot: honours `recursive` and the
 * include/exclude globs (relative to the source; a pattern without `/` matches the file name),
 * skips dot-files and dot-folders (.git holds thousands of binary objects), never follows a
 * symlink outside the document roots, never visits a folder twice (symlink loops), and yields the
 * event loop every MAX_BUSY_MS. Entries are visited in name order; `visit` is called as they are
 * met, so a caller that only counts holds no list. Shared by indexing (scanSource) and the
 * directory-scan preview.
 */
export async function walkSource(
  sourcePath: string,
  source: { realPath: string; isFile: boolean },
  options: SourceWalkOptions,
  visit: (event: SourceWalkEvent) => void,
): Promise<void> {
  const { include, exclude, policy, signal } = options;
  const breathe = eventLoopBreather();

  const consider = async (filePath: string, relative: string, isSymlink: boolean): Promise<'dir' | 'file' | 'skip'> => {
    let stat: Stats;
    if (isSymlink) {
      const target = await locateInRoots(filePath, options.documentRoots, policy);
      if (!target.ok && target.why === 'missing') {
        if (include(relative) && !exclude(relative)) {
          visit({ kind: 'file', path: filePath, stat: undefined, problem: `cannot read file: broken symlink (${target.code})` });
        }
        return 'skip';
      }
      if (!target.ok) {
        const reason =
          target.why === 'dot_path'
            ? `symlink resolves into a dot-folder or dot-file ("${target.segment}"; SEMANTIK_ALLOW_DOT_PATHS)`
            : 'symlink resolves outside the allowed document roots (SEMANTIK_DOCUMENT_ROOTS)';
        visit({ kind: 'refused', path: filePath, reason });
        return 'skip';
      }
      stat = target.stat;
    } else {
      // Gone since readdir (a racing rename): nothing to index under this name now.
      const found = await fs.lstat(filePath).catch(() => undefined);
      if (!found) return 'skip';
      stat = found;
    }
    if (stat.isDirectory()) return 'dir';
    // Sockets, FIFOs and devices are skipped: reading a FIFO would block the worker forever.
    if (!stat.isFile()) return 'skip';
    if (include(relative) && !exclude(relative)) visit({ kind: 'file', path: filePath, stat });
    return 'file';
  };

  if (source.isFile) {
    await consider(path.resolve(sourcePath), path.basename(sourcePath), (await fs.lstat(sourcePath)).isSymbolicLink());
    return;
  }
  const visited = new Set<string>([source.realPath]);
  const walk = async (dir: string, relativeDir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      visit({ kind: 'unreadable_folder', path: dir, reason: `cannot list folder: ${err.code ?? err.message}` });
      return [];
    });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (signal?.aborted) return;
      await breathe();
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      const kind = await consider(full, relative, entry.isSymbolicLink());
      if (kind !== 'dir' || !options.recursive || exclude(relative)) continue;
      // Placed again right before descending: a folder swapped for a symlink to /etc after
      // `consider` is not listed. (Bytes are safe regardless: every read goes through
      // openDocumentFile; this keeps outside *names* out of the document list.)
      const folder = await locateInRoots(full, options.documentRoots, policy);
      if (!folder.ok || visited.has(folder.realPath)) continue;
      visited.add(folder.realPath);
      await walk(full, relative);
    }
  };
  await walk(path.resolve(sourcePath), '');
}

/**
 * Walks a source (a folder, or one file; walkSource) and hashes every candidate file.
 */
export async function scanSource(sourcePath: string, options: ScanOptions): Promise<SourceScan> {
  const policy: DotPathPolicy = { allowDotPaths: options.allowDotPaths ?? false };
  const source = await resolveSourceRoot(sourcePath, options.documentRoots, policy);
  const include = options.include.length > 0 ? compileGlobs('include', options.include) : () => true;
  const exclude = compileGlobs('exclude', options.exclude);
  const breathe = eventLoopBreather();
  const candidates: { path: string; stat: Stats | undefined; problem?: string }[] = [];
  const refused: RefusedFile[] = [];
  const unreadableFolders: RefusedFile[] = [];
  await walkSource(sourcePath, source, { recursive: options.recursive, include, exclude, documentRoots: options.documentRoots, policy }, (event) => {
    if (event.kind === 'file') candidates.push({ path: event.path, stat: event.stat, ...(event.problem ? { problem: event.problem } : {}) });
    else if (event.kind === 'refused') refused.push({ path: event.path, reason: event.reason });
    else unreadableFolders.push({ path: event.path, reason: event.reason });
  });

  const files: ScannedFile[] = new Array(candidates.length);
  let next = 0;
  let hashed = 0;
  const hashWorker = async () => {
    while (next < candidates.length) {
      const index = next++;
      const candidate = candidates[index]!;
      const known = candidate.stat && !candidate.problem ? options.known?.get(candidate.path) : undefined;
      if (known && known.size === candidate.stat!.size && known.modifiedMs === candidate.stat!.mtime.getTime()) {
        files[index] = { path: candidate.path, size: known.size, modifiedAt: candidate.stat!.mtime, contentHash: known.contentHash };
      } else {
        files[index] = await describeFile(candidate, options, policy);
        hashed++;
      }
      await breathe();
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, hashWorker));
  return { files, refused, unreadableFolders, hashed };
}

/**
 * Refusals found while opening for the hash that the document should carry as its failure: the
 * file changed into something that must not be read after the walk looked at it. Anything else
 * (vanished, EACCES, grew too large) is left to the extractor, which reports the precise reason.
 */
const REFUSED_WHILE_HASHING = new Set<DocumentFileRefusal>(['outside_roots', 'dot_path', 'changed', 'not_regular_file']);

async function describeFile(
  candidate: { path: string; stat: Stats | undefined; problem?: string },
  options: ScanOptions,
  policy: DotPathPolicy,
): Promise<ScannedFile> {
  const { path: filePath, stat, problem } = candidate;
  const maxBytes = options.maxFileSizeBytes;
  const size = stat?.size ?? 0;
  const modifiedAt = stat?.mtime ?? new Date(0);
  const unhashed = (of: Stats | undefined) =>
    `unhashed:${createHash('sha256').update(`${filePath}\0${of?.size ?? 0}\0${of?.mtimeMs ?? 0}\0${of?.ctimeMs ?? 0}`).digest('hex')}`;
  if (problem || !stat) return { path: filePath, size, modifiedAt, contentHash: unhashed(stat), problem: problem ?? 'cannot read file' };
  if (size === 0 || size > maxBytes) return { path: filePath, size, modifiedAt, contentHash: unhashed(stat) };
  let opened: OpenedDocumentFile;
  try {
    opened = await openDocumentFile(filePath, options.documentRoots, { ...policy, maxBytes });
  } catch (err) {
    if (err instanceof DocumentFileRefusedError && REFUSED_WHILE_HASHING.has(err.reason)) {
      const kind = err.reason === 'outside_roots' || err.reason === 'dot_path' ? 'refused' : 'unreadable';
      return { path: filePath, size, modifiedAt, contentHash: unhashed(stat), problem: `${kind}: ${err.message}` };
    }
    return { path: filePath, size, modifiedAt, contentHash: unhashed(stat) };
  }
  // Size and time of the descriptor actually hashed, not of the name the walk saw.
  const described = { path: filePath, size: opened.stat.size, modifiedAt: opened.stat.mtime };
  try {
    if (opened.stat.size === 0) return { ...described, contentHash: unhashed(opened.stat) };
    return { ...described, contentHash: await sha256OfOpened(opened) };
  } catch {
    return { ...described, contentHash: unhashed(opened.stat) };
  } finally {
    await opened.handle.close();
  }
}

/** SHA-256 of the opened descriptor's first fstat-size bytes (64 KiB reads). */
async function sha256OfOpened(opened: OpenedDocumentFile): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(64 * 1024);
  let position = 0;
  while (position < opened.stat.size) {
    const { bytesRead } = await opened.handle.read(buffer, 0, Math.min(buffer.length, opened.stat.size - position), position);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}
