import type { Repositories } from '../../src/db/repositories.js';
import { uniqueName } from './test-databases.js';

/**
 * `document_roots` defaults to `['/']`: intersected with SEMANTIK_DOCUMENT_ROOTS that is every
 * global root (src/users/user-document-roots.ts), so worker tests can index their folders as before.
 */
export async function makeUser(repos: Repositories, overrides: { is_superuser?: boolean; username?: string; document_roots?: string[] | null } = {}) {
  const username = overrides.username ?? uniqueName('user');
  return repos.users.insert({
    username,
    email: `${username}@example.test`,
    hashed_password: 'not-a-real-hash',
    full_name: 'Test User',
    is_superuser: overrides.is_superuser ?? false,
    document_roots: overrides.document_roots === undefined ? ['/'] : overrides.document_roots,
  });
}

export async function makeCollection(
  repos: Repositories,
  ownerId: number,
  overrides: { name?: string; is_public?: boolean; chunk_size?: number; chunk_overlap?: number } = {},
) {
  const name = overrides.name ?? uniqueName('collection');
  return repos.collections.insert({
    name,
    owner_id: ownerId,
    vector_store_name: `vs_${name}`,
    embedding_model: 'deterministic-hash-384',
    embedding_dimension: 384,
    is_public: overrides.is_public ?? false,
    chunk_size: overrides.chunk_size ?? 1000,
    chunk_overlap: overrides.chunk_overlap ?? 200,
  });
}

export async function makeDocument(repos: Repositories, collectionId: string, overrides: { content_hash?: string; file_path?: string } = {}) {
  const path = overrides.file_path ?? `/docs/${uniqueName('file')}.txt`;
  return repos.documents.insert({
    collection_id: collectionId,
    file_path: path,
    file_name: path.split('/').pop() ?? path,
    file_size: 123,
    mime_type: 'text/plain',
    content_hash: overrides.content_hash ?? uniqueName('hash'),
  });
}

export function unitVector(dimension: number, seed: number): number[] {
  const v = Array.from({ length: dimension }, (_, i) => Math.sin(seed * 7.3 + i * 1.7));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
