import { request } from '../api/api.client';
import type {
  Collection,
  CollectionDetails,
  CollectionList,
  CollectionSource,
  CreateCollectionBody,
  CreatedCollection,
  DocumentList,
  EmbeddingModelList,
  Operation,
  ReindexBody,
  UpdateCollectionBody,
  UpdateSourceBody,
} from '../api/api.types';

const base = '/api/v2/collections';
const path = (id: string) => `${base}/${encodeURIComponent(id)}`;

export const collectionKeys = {
  all: ['collections'] as const,
  list: () => ['collections', 'list'] as const,
  detail: (id: string) => ['collections', 'detail', id] as const,
  documents: (id: string, page: number) => ['collections', 'documents', id, page] as const,
  operations: (id: string) => ['collections', 'operations', id] as const,
  embeddingModels: () => ['embedding-models'] as const,
};

export function listCollections(): Promise<CollectionList> {
  // 100 is the server's per_page ceiling; a self-hosted install rarely has more collections.
  return request<CollectionList>(base, { query: { page: 1, per_page: 100, sort_by: 'updated_at', sort_order: 'desc' } });
}

export function getCollection(id: string): Promise<CollectionDetails> {
  return request<CollectionDetails>(path(id));
}

export function createCollection(body: CreateCollectionBody): Promise<CreatedCollection> {
  return request<CreatedCollection>(base, { method: 'POST', body });
}

/** The models this server can embed with, and the default a create without `embedding_model` gets. */
export function listEmbeddingModels(): Promise<EmbeddingModelList> {
  return request<EmbeddingModelList>('/api/v2/embedding-models');
}

export function updateCollection(id: string, body: UpdateCollectionBody): Promise<Collection> {
  return request<Collection>(path(id), { method: 'PUT', body });
}

/** 202 with a `delete` operation, or 204 (undefined) when nothing was left to clean up. */
export function deleteCollection(id: string): Promise<Operation | undefined> {
  return request<Operation | undefined>(path(id), { method: 'DELETE' });
}

export function addSource(id: string, sourcePath: string, recursive = true): Promise<Operation> {
  return request<Operation>(`${path(id)}/sources`, { method: 'POST', body: { source_path: sourcePath, config: { recursive } } });
}

export function removeSource(id: string, sourcePath: string): Promise<Operation> {
  return request<Operation>(`${path(id)}/sources`, { method: 'DELETE', query: { source_path: sourcePath } });
}

export function updateSource(
  id: string,
  sourceId: string | number,
  body: UpdateSourceBody,
): Promise<CollectionSource> {
  return request<CollectionSource>(`${path(id)}/sources/${encodeURIComponent(String(sourceId))}`, { method: 'PATCH', body });
}

/** 202 with a `sync` operation: every source (or one) brought in step with its folder. */
export function syncCollection(id: string, sourcePath?: string): Promise<Operation> {
  return request<Operation>(`${path(id)}/sync`, { method: 'POST', body: sourcePath ? { source_path: sourcePath } : {} });
}

export function reindexCollection(id: string, body: ReindexBody): Promise<Operation> {
  return request<Operation>(`${path(id)}/reindex`, { method: 'POST', body });
}

export function listCollectionOperations(id: string): Promise<Operation[]> {
  return request<Operation[]>(`${path(id)}/operations`, { query: { page: 1, per_page: 50 } });
}

export function listDocuments(id: string, page: number, perPage: number): Promise<DocumentList> {
  return request<DocumentList>(`${path(id)}/documents`, { query: { page, per_page: perPage } });
}

export function documentContentUrl(collectionId: string, documentId: string): string {
  return `${path(collectionId)}/documents/${encodeURIComponent(documentId)}/content`;
}
