import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError } from '../errors/domain-errors.js';

export function isInsideRoot(candidate: string, root: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

/** Real paths of the configured roots; roots that do not exist cannot contain anything. */
export async function realDocumentRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => undefined)));
  return resolved.filter((root): root is string => root !== undefined);
}

/** Whether an existing path's real location (symlinks followed) is inside one of the roots. */
export async function isInsideDocumentRoots(realPath: string, roots: readonly string[]): Promise<boolean> {
  return (await realDocumentRoots(roots)).some((root) => isInsideRoot(realPath, root));
}

function refuse(message: string, roots: readonly string[]): never {
  throw new BadRequestError(`${message}. Allowed document roots: ${roots.join(', ') || '(none)'} (SEMANTIK_DOCUMENT_ROOTS)`);
}

/**
 * Checks a source path before anything is stored: absolute, no `..` segments, exists, a directory,
 * and its real path (symlinks resolved) inside a real document root — so a symlink inside a root
 * pointing at /etc is refused. Returns the real path, which is what gets stored and scanned.
 * File-system I/O: call it before opening the request's transaction.
 */
export async function resolveSourcePath(sourcePath: string, roots: readonly string[]): Promise<string> {
  if (!path.isAbsolute(sourcePath)) refuse(`source_path must be an absolute path, got "${sourcePath}"`, roots);
  if (sourcePath.split(/[\\/]+/).includes('..')) refuse('source_path must not contain ".." segments', roots);
  let real: string;
  try {
    real = await fs.realpath(sourcePath);
  } catch {
    refuse(`source_path "${sourcePath}" does not exist or is not readable by the server`, roots);
  }
  const stat = await fs.stat(real);
  if (!stat.isDirectory()) refuse(`source_path "${sourcePath}" is not a directory`, roots);
  if (!(await isInsideDocumentRoots(real, roots))) refuse(`source_path "${sourcePath}" is outside the allowed document roots`, roots);
  return real;
}
