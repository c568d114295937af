import fs from 'node:fs/promises';
import { requireCollectionAccess } from '../collections/collection.access.js';
import { isInsideDocumentRoots } from '../collections/source-path.validator.js';
import type { Repositories } from '../db/repositories.js';
import type { DocumentRow, DocumentStatus, UserRow } from '../db/schema.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { Principal } from '../http/app-deps.js';

export async function listDocuments(
  repos: Repositories,
  principal: Principal,
  collectionId: string,
  query: { page: number; perPage: number; status?: DocumentStatus },
) {
  await requireCollectionAccess(repos, principal, collectionId, 'read');
  return repos.documents.list({ collectionId, page: query.page, perPage: query.perPage, status: query.status });
}

/** The document and its collection's owner: the file is served only from inside the owner's document roots. */
export async function getReadableDocument(
  repos: Repositories,
  principal: Principal,
  collectionId: string,
  documentId: string,
): Promise<{ document: DocumentRow; owner: UserRow }> {
  const collection = await requireCollectionAccess(repos, principal, collectionId, 'read');
  const document = await repos.documents.getInCollection(collectionId, documentId);
  return { document, owner: await repos.users.getById(collection.owner_id) };
}

export interface DocumentFile {
  realPath: string;
  size: number;
  mimeType: string;
}

/**
 * Where the original bytes are, if they may still be served: the file must exist and its real path
 * must still be inside the document roots (roots can shrink, and a file can become a symlink after
 * indexing). File-system I/O: call outside the request's transaction.
 */
export async function locateDocumentFile(document: DocumentRow, roots: readonly string[]): Promise<DocumentFile> {
  let realPath: string;
  try {
    realPath = await fs.realpath(document.file_path);
  } catch {
    throw new NotFoundError(`The file of document ${document.id} no longer exists at ${document.file_path}`);
  }
  if (!(await isInsideDocumentRoots(realPath, roots))) {
    throw new NotFoundError(`The file of document ${document.id} is no longer inside the allowed document roots (SEMANTIK_DOCUMENT_ROOTS), so it is not served`);
  }
  const stat = await fs.stat(realPath);
  if (!stat.isFile()) throw new NotFoundError(`The file of document ${document.id} no longer exists at ${document.file_path}`);
  return { realPath, size: stat.size, mimeType: document.mime_type || 'application/octet-stream' };
}
