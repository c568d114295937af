import path from 'node:path';
import { isInside, realRoots } from '../document-roots/document-roots.js';
import type { AppConfig } from '../config/config.js';
import type { UserRow } from '../db/schema.js';
import { ForbiddenError, ValidationError } from '../errors/domain-errors.js';

type RootsUser = Pick<UserRow, 'username' | 'is_superuser' | 'document_roots'>;
type RootsConfig = Pick<AppConfig, 'documentRoots' | 'userRootTemplate'>;

/**
 * What the user's account says, before any file-system check: superusers get the global
 * SEMANTIK_DOCUMENT_ROOTS; others their own `document_roots`, or — when an admin never set them
 * (NULL) — SEMANTIK_USER_ROOT_TEMPLATE with `{username}` filled in, or nothing.
 */
export function configuredDocumentRoots(user: RootsUser, config: RootsConfig): string[] {
  if (user.is_superuser) return [...config.documentRoots];
  if (user.document_roots !== null) return user.document_roots;
  // A username that is a path segment of its own (".", "..", or with a separator) gets no template root.
  if (!config.userRootTemplate || user.username === '.' || user.username === '..' || /[\\/]/.test(user.username)) return [];
  return [config.userRootTemplate.replaceAll('{username}', user.username)];
}

/**
 * The one rule "which folders may this user's collections read": the configured roots (above)
 * intersected with SEMANTIK_DOCUMENT_ROOTS, by real path (symlinks followed) — a granted folder
 * inside a global root stays as it is; a global root inside a granted folder (the global roots were
 * narrowed after the grant, or `/` was granted) is what remains of it. Returns real paths. Used
 * where sources are added, by the content route (with the collection owner) and by the indexing
 * jobs (owner again, so revoking a user's roots stops future scans). File-system I/O: call outside
 * a transaction.
 */
export async function allowedDocumentRoots(user: RootsUser, config: RootsConfig): Promise<string[]> {
  const configured = configuredDocumentRoots(user, config);
  if (user.is_superuser) return configured;
  const globalRoots = await realRoots(config.documentRoots);
  const allowed = new Set<string>();
  for (const own of await realRoots(configured)) {
    for (const globalRoot of globalRoots) {
      if (isInside(own, globalRoot)) allowed.add(own);
      else if (isInside(globalRoot, own)) allowed.add(globalRoot);
    }
  }
  return [...allowed];
}

/** allowedDocumentRoots, refusing a user who has none with the fix in the message. */
export async function requireDocumentRoots(user: RootsUser, config: RootsConfig): Promise<string[]> {
  const roots = await allowedDocumentRoots(user, config);
  if (roots.length === 0) {
    throw new ForbiddenError(
      'You have no document folder to index from: ask an administrator to grant you one (Users page, or `semantik user set-roots`)',
    );
  }
  return roots;
}

/**
 * Checks roots an admin grants (API, CLI): absolute, no `..`, and inside SEMANTIK_DOCUMENT_ROOTS
 * (lexically; real paths are checked again on every use). Returns them normalised, duplicates dropped.
 */
export function checkGrantedDocumentRoots(roots: readonly string[], config: Pick<AppConfig, 'documentRoots'>): string[] {
  const normalised: string[] = [];
  for (const root of roots) {
    if (!path.isAbsolute(root) || root.split(/[\\/]+/).includes('..')) {
      throw new ValidationError(`document root "${root}" must be an absolute path without ".." segments`, { field: 'document_roots' });
    }
    const resolved = path.resolve(root);
    if (!config.documentRoots.some((globalRoot) => isInside(resolved, globalRoot))) {
      throw new ValidationError(
        `document root "${root}" is outside the server's document roots (${config.documentRoots.join(':')}, SEMANTIK_DOCUMENT_ROOTS)`,
        { field: 'document_roots' },
      );
    }
    if (!normalised.includes(resolved)) normalised.push(resolved);
  }
  return normalised;
}
