import { requireCollectionAccess } from '../access/collection-access.js';
import type { Repositories } from '../db/repositories.js';
import { DocumentFileRefusedError, openDocumentFile, type DotPathPolicy, type OpenedDocumentFile } from '../document-roots/document-roots.js';
import type { DocumentRow, DocumentStatus, UserRow } from '../db/schema.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';

export async function listDocuments(
  repos: Repositories,
  principal: Principal,
  collectionId: string,
  query: { page: number; perPage: number; status?: DocumentStatus },
) {
  await requireCollectionAccess(repos, principal, collectionId, 'read');
  const page = await repos.documents.list({ collectionId, page: query.page, perPage: query.perPage, status: query.status });
  // A collection has a handful of sources: one query for their paths beats a join per document list.
  const sourcePaths = new Map((await repos.sources.listByCollection(collectionId)).map((s) => [s.id, s.source_path]));
  return { ...page, sourcePaths };
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
  /** The open descriptor to stream from (never reopen by name); closed by its stream. */
  opened: OpenedDocumentFile;
  size: number;
  mimeType: string;
}

/**
 * Opens the original bytes, if they may still be served: the opened file must be a regular file
 * inside the document roots (roots can shrink, and a file can be swapped for a symlink or a FIFO
 * after indexing) and, unless SEMANTIK_ALLOW_DOT_PATHS, not under a dot-folder. Every refusal is a
 * 404. File-system I/O: call outside the request's transaction.
 */
export async function openDocumentForServing(document: DocumentRow, roots: readonly string[], policy: DotPathPolicy): Promise<DocumentFile> {
  let opened: OpenedDocumentFile;
  try {
    opened = await openDocumentFile(document.file_path, roots, policy);
  } catch (err) {
    if (!(err instanceof DocumentFileRefusedError)) throw err;
    switch (err.reason) {
      case 'outside_roots':
        throw new NotFoundError(`The file of document ${document.id} is no longer inside the allowed document roots (SEMANTIK_DOCUMENT_ROOTS), so it is not served`);
      case 'dot_path':
        throw new NotFoundError(`The file of document ${document.id} is under a dot-folder or is a dot-file, which is not served unless SEMANTIK_ALLOW_DOT_PATHS=true`);
      default:
        throw new NotFoundError(`The file of document ${document.id} is no longer a readable regular file at ${document.file_path}`);
    }
  }
  return { opened, size: opened.stat.size, mimeType: document.mime_type || 'application/octet-stream' };
}
