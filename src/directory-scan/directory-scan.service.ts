import path from 'node:path';
import { resolveSourcePath, type SourcePathOptions } from '../document-roots/document-roots.js';
import { compileGlobList } from '../indexing/source-glob.js';
import { walkSource, type SourceWalkEvent } from '../indexing/source.scanner.js';
import { mimeTypeFor, supportedExtensions } from '../ingest/index.js';

/**
 * The original web UI's "scan a folder before adding it" (`POST /api/v2/directory-scan/preview`):
 * what indexing that folder as a source would pick up — the same path rules (resolveSourcePath
 * with the caller's allowed roots) and the same walk (walkSource: globs, dot-paths, symlinks, a
 * turn for the event loop every 10 ms) — counted without opening a single file.
 */

/**
 * Bounds of one preview (docs/api.md). The scan runs inside the API process, so it is capped in
 * time and in files; the answer then says `complete: false` and its totals are lower bounds.
 * - 10 s: well inside a proxy's usual 60 s request timeout. The walk (one lstat per entry) did
 *   3,200–10,800 files/s over a warm 20,000-file tree on the shared 2-core dev machine (noisy, 3
 *   runs), so 10 s covers some 30k–100k files; a cold network share says "incomplete" instead of
 *   hanging.
 * - 200,000 files counted (the cap for fast disks; it bounds nothing in memory, only the work);
 *   1,000 listed in `files` (~200 B each: a 200 KB answer at most; the original UI only reads
 *   their paths and counts).
 * - 50 warnings (refused symlinks, unreadable folders, files too large), then one "… more".
 */
export interface DirectoryScanLimits {
  seconds: number;
  countedFiles: number;
  listedFiles: number;
  warnings: number;
  progressEveryMs: number;
}

export const DIRECTORY_SCAN_LIMITS: DirectoryScanLimits = {
  seconds: 10,
  countedFiles: 200_000,
  listedFiles: 1_000,
  warnings: 50,
  /** At most ~4 progress messages a second per scan on the socket. */
  progressEveryMs: 250,
};

export interface DirectoryScanRequest {
  path: string;
  scanId: string;
  recursive: boolean;
  include: readonly string[];
  exclude: readonly string[];
}

export interface DirectoryScanContext {
  /** The caller's allowed document roots (requireDocumentRoots). */
  roots: readonly string[];
  pathOptions: SourcePathOptions;
  /** SEMANTIK_MAX_FILE_SIZE_MB: bigger files would fail to index, so they are warnings here. */
  maxFileSizeBytes: number;
  /** Aborted when the client goes away: the walk stops at its next entry. */
  signal?: AbortSignal;
  limits?: DirectoryScanLimits;
}

/** One file of `files`, in the original's DirectoryScanFile shape. */
export interface PreviewFile {
  file_path: string;
  file_name: string;
  file_size: number;
  mime_type: string;
  /** Always null: hashing would read every byte of the folder; indexing hashes. */
  content_hash: null;
  modified_at: string;
}

export interface DirectoryScanResult {
  scan_id: string;
  path: string;
  files: PreviewFile[];
  /** Files indexing would take (dot-paths, globs and too-large files left out). */
  total_files: number;
  total_size: number;
  /** Of total_files: an extension with an extractor (PDF, DOCX, Markdown, code …). */
  supported_files: number;
  /** Of total_files: unknown extension; indexed as text when they decode as text, else they fail. */
  other_files: number;
  warnings: string[];
  /** False when a cap stopped the walk (DIRECTORY_SCAN_LIMITS): totals are then lower bounds. */
  complete: boolean;
}

export type DirectoryScanMessageType = 'started' | 'progress' | 'warning' | 'completed' | 'error';

/** A socket message, in the original's DirectoryScanProgress shape. */
export interface DirectoryScanMessage {
  type: DirectoryScanMessageType;
  scan_id: string;
  data: Record<string, unknown>;
}

const SUPPORTED = new Set(supportedExtensions);

/**
 * Scans `request.path` and reports to `emit` as it goes (started, throttled progress, warnings,
 * completed). Throws BadRequestError (path refused: the same answer the sources API gives) before
 * emitting anything; the caller reports failures (the `error` message).
 */
export async function previewDirectory(
  request: DirectoryScanRequest,
  context: DirectoryScanContext,
  emit: (message: DirectoryScanMessage) => void,
): Promise<DirectoryScanResult> {
  const limits = context.limits ?? DIRECTORY_SCAN_LIMITS;
  const realPath = await resolveSourcePath(request.path, context.roots, context.pathOptions);
  const send = (type: DirectoryScanMessageType, data: Record<string, unknown>) => emit({ type, scan_id: request.scanId, data });

  const stop = new AbortController();
  let stoppedBecause: string | undefined;
  const stopFor = (why: string) => {
    stoppedBecause ??= why;
    stop.abort();
  };
  const timer = setTimeout(() => stopFor(`the scan stopped after ${limits.seconds} s`), limits.seconds * 1000);
  const onClientGone = () => stopFor('the client went away');
  if (context.signal?.aborted) onClientGone();
  else context.signal?.addEventListener('abort', onClientGone, { once: true });

  const files: PreviewFile[] = [];
  const warnings: string[] = [];
  let moreWarnings = 0;
  let totalFiles = 0;
  let totalSize = 0;
  let supportedFiles = 0;
  let lastProgressAt = 0;
  const warn = (message: string) => {
    if (warnings.length >= limits.warnings) {
      moreWarnings += 1;
      return;
    }
    warnings.push(message);
    send('warning', { message });
  };

  const visit = (event: SourceWalkEvent) => {
    if (event.kind !== 'file') return warn(`${event.path}: ${event.reason}`);
    if (!event.stat) return warn(`${event.path}: ${event.problem ?? 'cannot read file'}`);
    if (event.stat.size > context.maxFileSizeBytes) {
      return warn(`${event.path}: file too large (${event.stat.size} bytes > ${context.maxFileSizeBytes}, SEMANTIK_MAX_FILE_SIZE_MB)`);
    }
    totalFiles += 1;
    totalSize += event.stat.size;
    if (SUPPORTED.has(path.extname(event.path).toLowerCase())) supportedFiles += 1;
    if (files.length < limits.listedFiles) {
      files.push({
        file_path: event.path,
        file_name: path.basename(event.path),
        file_size: event.stat.size,
        mime_type: mimeTypeFor(event.path),
        content_hash: null,
        modified_at: event.stat.mtime.toISOString(),
      });
    }
    if (totalFiles >= limits.countedFiles) stopFor(`the scan stopped at ${limits.countedFiles} files`);
    const now = Date.now();
    if (now - lastProgressAt >= limits.progressEveryMs) {
      lastProgressAt = now;
      // No total is known before the walk ends (the original counted in a second walk first).
      send('progress', { files_scanned: totalFiles, total_size: totalSize, current_path: event.path });
    }
  };

  send('started', { path: request.path, recursive: request.recursive, message: 'Directory scan started' });
  try {
    await walkSource(
      realPath,
      { realPath, isFile: false },
      {
        recursive: request.recursive,
        include: request.include.length > 0 ? compileGlobList(request.include) : () => true,
        exclude: compileGlobList(request.exclude),
        documentRoots: context.roots,
        policy: { allowDotPaths: context.pathOptions.allowDotPaths },
        signal: stop.signal,
      },
      visit,
    );
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onClientGone);
  }

  if (stoppedBecause) warnings.push(`Incomplete: ${stoppedBecause}; the totals are lower bounds (indexing has no such limit)`);
  if (moreWarnings > 0) warnings.push(`… and ${moreWarnings} more warnings`);
  const result: DirectoryScanResult = {
    scan_id: request.scanId,
    path: request.path,
    files,
    total_files: totalFiles,
    total_size: totalSize,
    supported_files: supportedFiles,
    other_files: totalFiles - supportedFiles,
    warnings,
    complete: stoppedBecause === undefined,
  };
  send('completed', {
    total_files: totalFiles,
    total_size: totalSize,
    supported_files: supportedFiles,
    other_files: totalFiles - supportedFiles,
    warnings,
    complete: result.complete,
    message: `Scan completed: ${totalFiles} files, ${totalSize} bytes`,
  });
  return result;
}
