import { constants as fsConstants, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError } from '../errors/domain-errors.js';

/**
 * The one place that decides whether a path may be read: containment inside the document roots
 * (SEMANTIK_DOCUMENT_ROOTS, or a per-call list), the dot-path rule (SEMANTIK_ALLOW_DOT_PATHS),
 * symlinks and special files. The content route, the scanner, the extractor and the source-path
 * validator all ask it; none of them opens a document file by name on its own.
 *
 * Every function takes `roots` per call (configured paths, not yet resolved): callers may pass a
 * narrower list than the global one (per-user roots).
 */

/** Lexical containment of two already-resolved paths (`/a/b` is inside `/a`, `/ab` is not). */
export function isInside(candidate: string, root: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

/** Real paths of the roots; a root that does not exist cannot contain anything and is dropped. */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => undefined)));
  return resolved.filter((root): root is string => root !== undefined);
}

/** Whether a real path (symlinks already resolved) is inside one of the roots. */
export async function isInsideRoots(realPath: string, roots: readonly string[]): Promise<boolean> {
  return (await realRoots(roots)).some((root) => isInside(realPath, root));
}

/**
 * The first dot-segment (`.ssh`, `.config`) of `realPath` below `root`, if any. Only segments below
 * the root count: an administrator who configures `/home/u/.local/docs` as a root has chosen it.
 */
export function dotSegmentBelow(realPath: string, root: string): string | undefined {
  return path
    .relative(root, realPath)
    .split(path.sep)
    .find((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..');
}

export interface DotPathPolicy {
  /** SEMANTIK_ALLOW_DOT_PATHS: when false (the default), nothing under a dot-folder or dot-file is read. */
  allowDotPaths: boolean;
}

type Placement = { ok: true } | { ok: false; why: 'outside_roots' } | { ok: false; why: 'dot_path'; segment: string };

/**
 * Where a real path sits relative to real roots. With nested roots (`/home/u` and `/home/u/.notes`)
 * a path passes the dot rule if any containing root has no dot-segment below it.
 */
function placeRealPath(realPath: string, realRootList: readonly string[], policy: DotPathPolicy): Placement {
  const containing = realRootList.filter((root) => isInside(realPath, root));
  if (containing.length === 0) return { ok: false, why: 'outside_roots' };
  if (policy.allowDotPaths) return { ok: true };
  const segments = containing.map((root) => dotSegmentBelow(realPath, root));
  if (segments.some((segment) => segment === undefined)) return { ok: true };
  return { ok: false, why: 'dot_path', segment: segments[0]! };
}

export type LocatedPath =
  | { ok: true; realPath: string; stat: Stats }
  | { ok: false; why: 'missing'; code: string }
  | { ok: false; why: 'outside_roots'; realPath: string }
  | { ok: false; why: 'dot_path'; realPath: string; segment: string };

/**
 * Resolves an existing path (symlinks followed) and places it against the roots, without opening
 * it. For folders (source paths); files are read through openDocumentFile, which re-checks on
 * the open descriptor.
 */
export async function locateInRoots(givenPath: string, roots: readonly string[], policy: DotPathPolicy): Promise<LocatedPath> {
  let realPath: string;
  let stat: Stats;
  try {
    realPath = await fs.realpath(givenPath);
    stat = await fs.stat(realPath);
  } catch (err) {
    return { ok: false, why: 'missing', code: (err as NodeJS.ErrnoException).code ?? 'error' };
  }
  const placement = placeRealPath(realPath, await realRoots(roots), policy);
  if (!placement.ok) return placement.why === 'dot_path' ? { ok: false, why: 'dot_path', realPath, segment: placement.segment } : { ok: false, why: 'outside_roots', realPath };
  return { ok: true, realPath, stat };
}

export type DocumentFileRefusal =
  | 'missing'
  | 'unreadable'
  | 'outside_roots'
  | 'dot_path'
  | 'directory'
  | 'not_regular_file'
  | 'changed'
  | 'too_large';

/** A document file that may not, or cannot, be read. `message` says which, for logs and documents. */
export class DocumentFileRefusedError extends Error {
  constructor(
    readonly reason: DocumentFileRefusal,
    message: string,
    readonly filePath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DocumentFileRefusedError';
  }
}

export interface OpenedDocumentFile {
  /** Read from this descriptor only (createReadStream / readOpenedFile); the caller closes it. */
  handle: FileHandle;
  /** fstat of the descriptor: the size and times of the bytes that will be read. */
  stat: Stats;
  /** Where the opened file is, as the kernel names the descriptor (Linux), else its real path. */
  realPath: string;
}

/**
 * O_NOFOLLOW: if the last component was swapped for a symlink after realpath, open fails (ELOOP)
 * instead of following it. O_NONBLOCK: open(2) of a FIFO returns at once instead of waiting for a
 * writer — four such opens used to fill libuv's 4-thread pool and stall logins. (Both are 0 on
 * platforms without them, where the post-open checks still hold.)
 */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

function refusalForErrno(err: unknown, filePath: string): DocumentFileRefusedError {
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new DocumentFileRefusedError('missing', `cannot read file: ${code} (${message})`, filePath, { cause: err });
  if (code === 'ELOOP') return new DocumentFileRefusedError('changed', 'cannot read file: it became a symlink while being opened', filePath, { cause: err });
  if (code === 'EISDIR') return new DocumentFileRefusedError('directory', 'cannot read file: EISDIR (it is a directory)', filePath, { cause: err });
  return new DocumentFileRefusedError('unreadable', `cannot read file: ${code ?? 'error'} (${message})`, filePath, { cause: err });
}

function refusalForPlacement(placement: Placement & { ok: false }, filePath: string): DocumentFileRefusedError {
  if (placement.why === 'dot_path') {
    return new DocumentFileRefusedError(
      'dot_path',
      `the file is under a dot-folder or is a dot-file ("${placement.segment}"); set SEMANTIK_ALLOW_DOT_PATHS=true to read hidden paths`,
      filePath,
    );
  }
  return new DocumentFileRefusedError('outside_roots', 'file resolves outside the allowed document roots (SEMANTIK_DOCUMENT_ROOTS)', filePath);
}

/**
 * Where an open descriptor's file is. On Linux `/proc/self/fd/N` is the kernel's own name for the
 * open file, resolved atomically at open time — no later swap of any path component can change
 * what it says about the bytes we hold. Elsewhere (no /proc), the path is resolved again and must
 * name the very inode we opened (dev + ino); that leaves a narrow double swap (swap, open, restore,
 * realpath, swap again, stat) which only the Linux check closes.
 */
async function openedPath(handle: FileHandle, openedAs: string, stat: Stats): Promise<string | undefined> {
  const link = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  // A file unlinked after open reads "<path> (deleted)"; the path is still where it was opened.
  if (link !== undefined && path.isAbsolute(link)) return link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link;
  try {
    const again = await fs.realpath(openedAs);
    const named = await fs.stat(again);
    return named.dev === stat.dev && named.ino === stat.ino ? again : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a document file ONCE and returns the descriptor for every later read, so a check and the
 * read can never be about two different files:
 *
 * 1. realpath + containment/dot checks by name, and lstat: a FIFO or device inside the roots, or
 *    anything outside them, is refused without being opened at all;
 * 2. open(realPath, O_RDONLY|O_NOFOLLOW|O_NONBLOCK);
 * 3. fstat the descriptor: only a regular file passes;
 * 4. containment of the *opened* file (openedPath). O_NOFOLLOW only guards the last component: a
 *    parent folder swapped for a symlink between 1 and 2 is followed by open(2), so the opened
 *    file's own location is checked against the roots again;
 * 5. `maxBytes` against the descriptor's size.
 *
 * Throws DocumentFileRefusedError; on success the caller owns (and must close) the handle.
 */
export async function openDocumentFile(
  filePath: string,
  roots: readonly string[],
  options: Partial<DotPathPolicy> & { maxBytes?: number } = {},
): Promise<OpenedDocumentFile> {
  const policy: DotPathPolicy = { allowDotPaths: options.allowDotPaths ?? false };
  const realRootList = await realRoots(roots);
  let realPath: string;
  let named: Stats;
  try {
    realPath = await fs.realpath(filePath);
    named = await fs.lstat(realPath);
  } catch (err) {
    throw refusalForErrno(err, filePath);
  }
  const placement = placeRealPath(realPath, realRootList, policy);
  if (!placement.ok) throw refusalForPlacement(placement, filePath);
  if (named.isDirectory()) throw new DocumentFileRefusedError('directory', 'cannot read file: EISDIR (it is a directory)', filePath);
  if (named.isSymbolicLink()) throw new DocumentFileRefusedError('changed', 'cannot read file: it became a symlink while being opened', filePath);
  if (!named.isFile()) throw new DocumentFileRefusedError('not_regular_file', 'cannot read file: not a regular file (FIFO, socket or device)', filePath);

  let handle: FileHandle;
  try {
    handle = await fs.open(realPath, OPEN_FLAGS);
  } catch (err) {
    throw refusalForErrno(err, filePath);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new DocumentFileRefusedError('directory', 'cannot read file: EISDIR (it is a directory)', filePath);
    if (!stat.isFile()) throw new DocumentFileRefusedError('not_regular_file', 'cannot read file: not a regular file (FIFO, socket or device)', filePath);
    const opened = await openedPath(handle, realPath, stat);
    if (opened === undefined) throw new DocumentFileRefusedError('changed', 'cannot read file: it changed while being opened', filePath);
    const openedPlacement = placeRealPath(opened, realRootList, policy);
    if (!openedPlacement.ok) throw refusalForPlacement(openedPlacement, filePath);
    if (options.maxBytes !== undefined && stat.size > options.maxBytes) {
      throw new DocumentFileRefusedError('too_large', `file too large: ${stat.size} bytes > limit ${options.maxBytes}, raise SEMANTIK_MAX_FILE_SIZE_MB`, filePath);
    }
    return { handle, stat, realPath: opened };
  } catch (err) {
    await handle.close();
    throw err instanceof DocumentFileRefusedError ? err : refusalForErrno(err, filePath);
  }
}

/**
 * The opened file's bytes, at most the fstat size: a file that grows after the open cannot push
 * more than the checked `maxBytes` into memory. Does not close the handle.
 */
export async function readOpenedFile(file: OpenedDocumentFile): Promise<Buffer> {
  const buffer = Buffer.alloc(file.stat.size);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === buffer.length ? buffer : buffer.subarray(0, filled);
}

/** The one answer a non-admin gets for any source path that is not a usable folder inside the roots. */
export const SOURCE_PATH_NOT_ALLOWED = 'source_path is not a folder inside your allowed document roots (ask an administrator which folders you may index)';

export interface SourcePathOptions extends DotPathPolicy {
  /**
   * Admins (and the CLI) get the precise reason and the configured roots. Anyone else learns
   * nothing about paths outside the roots: "missing", "a file", "unreadable" and "outside" are one
   * message, so the answer cannot be used to probe for /etc/shadow or another user's folders.
   */
  revealDetails: boolean;
}

/**
 * Checks a source path before anything is stored: absolute, no `..` segments, exists, a folder,
 * its real path (symlinks resolved) inside a real document root — so a symlink inside a root
 * pointing at /etc is refused — and no dot-segment below the root unless allowed. Returns the real
 * path, which is what gets stored and scanned. Throws BadRequestError. File-system I/O: call it
 * before opening the request's transaction.
 */
export async function resolveSourcePath(sourcePath: string, roots: readonly string[], options: SourcePathOptions): Promise<string> {
  const refuse = (precise: string): never => {
    if (!options.revealDetails) throw new BadRequestError(SOURCE_PATH_NOT_ALLOWED);
    throw new BadRequestError(`${precise}. Allowed document roots: ${roots.join(', ') || '(none)'} (SEMANTIK_DOCUMENT_ROOTS)`);
  };
  // Lexical checks reveal nothing about the file system: precise for everyone.
  if (!path.isAbsolute(sourcePath)) throw new BadRequestError(`source_path must be an absolute path, got "${sourcePath}"`);
  if (sourcePath.split(/[\\/]+/).includes('..')) throw new BadRequestError('source_path must not contain ".." segments');
  const located = await locateInRoots(sourcePath, roots, options);
  if (!located.ok) {
    switch (located.why) {
      case 'missing':
        return refuse(`source_path "${sourcePath}" does not exist or is not readable by the server (${located.code})`);
      case 'outside_roots':
        return refuse(`source_path "${sourcePath}" is outside the allowed document roots`);
      case 'dot_path':
        // Inside the roots: the caller may know what is there.
        throw new BadRequestError(
          `source_path "${sourcePath}" is under a dot-folder ("${located.segment}"); hidden folders are not indexed unless SEMANTIK_ALLOW_DOT_PATHS=true`,
        );
    }
  }
  if (!located.stat.isDirectory()) throw new BadRequestError(`source_path "${sourcePath}" is not a folder (index the folder that contains it)`);
  return located.realPath;
}
