import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../config/config.js';
import type { Repositories } from '../db/repositories.js';
import type { CollectionRow, CollectionSourceRow, OperationRow, OperationStatus, OperationType, UserRow } from '../db/schema.js';
import type { Tx } from '../db/unit-of-work.js';
import type { SortOrder } from '../db/pagination.js';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import { requireKeyMayCreateCollections } from '../api-keys/api-key.scope.js';
import { listAvailableEmbeddingModels } from '../ingest/index.js';
import { cancelOperation, enqueueOperation } from '../operations/operation.service.js';
import { enqueueSync } from '../sync/source-sync.service.js';
import { requireCollectionAccess } from '../access/collection-access.js';
import { requireFolderNotPrivateToOthers } from './collection.access.js';
import type { CollectionSortField } from './collection.repository.js';
import { chooseEmbeddingModel, substitutionNote } from './embedding-model.choice.js';

/** The dimension that the initial migration already has an HNSW index for. */
const PREBUILT_INDEX_DIMENSION = 512;

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

/** Everything a collection service call needs from the request's unit of work. */
export interface CollectionContext {
  tx: Tx;
  repos: Repositories;
  principal: Principal;
  /** Only the default model is read here (the CLI's `semantik reindex` passes just that). */
  config: Pick<AppConfig, 'defaultEmbeddingModel'>;
  meta: RequestMeta;
}

export function isKnownEmbeddingModel(model: string): boolean {
  return listAvailableEmbeddingModels().some((m) => m.name === model);
}

/**
 * The model a rebuild uses when the caller names none: the collection's own, unless it is not
 * available here — e.g. a collection imported from a legacy install whose model (say
 * Qwen/Qwen3-Embedding-0.6B) cannot be loaded offline; its vectors are rebuilt anyway, so it moves
 * to the configured default instead of failing the reindex.
 */
export function modelForRebuild(currentModel: string, defaultModel: string): string {
  return isKnownEmbeddingModel(currentModel) ? currentModel : defaultModel;
}

function checkChunking(chunkSize: number, chunkOverlap: number): void {
  if (chunkOverlap >= chunkSize) {
    throw new ValidationError(`chunk_overlap (${chunkOverlap}) must be smaller than chunk_size (${chunkSize})`, { field: 'chunk_overlap' });
  }
}

async function audit(ctx: CollectionContext, collectionId: string, action: string, details: Record<string, unknown>, operationId?: string) {
  await ctx.repos.auditLog.insert({
    collection_id: collectionId,
    action,
    user_id: ctx.principal.user.id,
    operation_id: operationId ?? null,
    details,
    ip_address: ctx.meta.ip ?? null,
    user_agent: ctx.meta.userAgent?.slice(0, 500) ?? null,
  });
}

/** Per owner: another user's collection of the same name is neither a conflict nor something to reveal. */
async function assertNameFree(repos: Repositories, ownerId: number, name: string, exceptId?: string): Promise<void> {
  const existing = await repos.collections.findByOwnerAndName(ownerId, name);
  if (existing && existing.id !== exceptId) throw new AlreadyExistsError(`You already have a collection named "${name}"`, { field: 'name' });
}

export interface NewCollectionInput {
  name: string;
  description?: string | null;
  embedding_model?: string;
  quantization?: string;
  chunk_size: number;
  chunk_overlap: number;
  is_public: boolean;
  metadata?: Record<string, unknown>;
}

/**
 * Creates a collection and the `index` operation that records its set-up, already completed with no
 * files: the Python original answered `initial_operation_id` for the INDEX operation it started on
 * create, and its web UI waits for that operation's socket to report completion before it adds the
 * "initial source" folder (that add is then our real `index` operation).
 */
export async function createCollection(ctx: CollectionContext, input: NewCollectionInput): Promise<{ collection: CollectionRow; initialOperation: OperationRow }> {
  requireKeyMayCreateCollections(ctx.principal);
  const choice = chooseEmbeddingModel(input.embedding_model, ctx.config.defaultEmbeddingModel);
  const { model, dimension } = choice;
  const note = substitutionNote(choice);
  const metadata = { ...(input.metadata ?? {}), ...(choice.substitutedFor ? { requested_embedding_model: choice.substitutedFor, embedding_model_note: note } : {}) };
  checkChunking(input.chunk_size, input.chunk_overlap);
  await assertNameFree(ctx.repos, ctx.principal.user.id, input.name);
  if (dimension !== PREBUILT_INDEX_DIMENSION) await ctx.repos.chunks.ensureVectorIndex(dimension);
  const id = randomUUID();
  const row = await ctx.repos.collections.insert({
    id,
    name: input.name,
    description: input.description ?? null,
    owner_id: ctx.principal.user.id,
    vector_store_name: `col_${id.replaceAll('-', '')}`,
    embedding_model: model,
    embedding_dimension: dimension,
    quantization: input.quantization ?? 'float32',
    chunk_size: input.chunk_size,
    chunk_overlap: input.chunk_overlap,
    is_public: input.is_public,
    metadata: JSON.stringify(metadata),
    status_message: note,
  });
  await audit(ctx, row.id, 'collection_created', {
    name: row.name,
    embedding_model: model,
    requested_embedding_model: choice.substitutedFor ?? null,
    is_public: row.is_public,
  });
  const now = new Date();
  const initialOperation = await ctx.repos.operations.insert({
    collection_id: row.id,
    user_id: ctx.principal.user.id,
    type: 'index',
    status: 'completed',
    started_at: now,
    completed_at: now,
    config: { initial: true, embedding_model: model },
  });
  return { collection: row, initialOperation };
}

export interface CollectionListInput {
  page: number;
  perPage: number;
  search?: string;
  sortBy?: CollectionSortField;
  sortOrder?: SortOrder;
}

/** Own, public and shared collections (superusers too: the list is "mine and what I can use"). */
export function listCollections(repos: Repositories, principal: Principal, input: CollectionListInput) {
  return repos.collections.list({
    page: input.page,
    perPage: input.perPage,
    search: input.search,
    sortBy: input.sortBy,
    sortOrder: input.sortOrder,
    listedFor: principal,
  });
}

export async function getCollectionWithSources(
  repos: Repositories,
  principal: Principal,
  id: string,
): Promise<{ collection: CollectionRow; sources: CollectionSourceRow[] }> {
  const collection = await requireCollectionAccess(repos, principal, id, 'read');
  return { collection, sources: await repos.sources.listByCollection(id) };
}

export interface CollectionChanges {
  name?: string;
  description?: string | null;
  is_public?: boolean;
  metadata?: Record<string, unknown>;
}

export async function updateCollection(ctx: CollectionContext, id: string, changes: CollectionChanges): Promise<CollectionRow> {
  // Who may see a collection is the owner's decision; content and labels need write.
  const current = await requireCollectionAccess(ctx.repos, ctx.principal, id, changes.is_public !== undefined ? 'admin' : 'write');
  if (changes.name !== undefined) await assertNameFree(ctx.repos, current.owner_id, changes.name, id);
  const row = await ctx.repos.collections.update(id, {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(changes.is_public !== undefined ? { is_public: changes.is_public } : {}),
    ...(changes.metadata !== undefined ? { metadata: JSON.stringify(changes.metadata) } : {}),
  });
  await audit(ctx, id, 'collection_updated', { fields: Object.keys(changes) });
  return row;
}

/**
 * Nothing to clean up (no documents, no sources, no running operation) → delete now (`deleted`);
 * otherwise cancel whatever runs and enqueue a `delete` operation that removes vectors and rows in
 * batches (one huge DELETE would hold locks for minutes on a large collection).
 */
export async function deleteCollection(ctx: CollectionContext, id: string): Promise<{ deleted: true } | { operation: OperationRow; cancelled?: OperationRow }> {
  const collection = await requireCollectionAccess(ctx.repos, ctx.principal, id, 'admin');
  await ctx.repos.collections.lockById(id);
  const active = await ctx.repos.operations.findActiveForCollection(id);
  const sources = await ctx.repos.sources.listByCollection(id);
  const documents = await ctx.repos.documents.list({ collectionId: id, page: 1, perPage: 1 });
  if (!active && sources.length === 0 && documents.total === 0) {
    await ctx.repos.collections.delete(id);
    return { deleted: true };
  }
  const cancelled = active ? await cancelOperation(ctx.repos, active.id) : undefined;
  const operation = await enqueueOperation(ctx.tx, ctx.repos, {
    collectionId: id,
    userId: ctx.principal.user.id,
    type: 'delete',
    config: { collection_name: collection.name },
  });
  await audit(ctx, id, 'collection_delete_requested', { cancelled_operation_id: cancelled?.id ?? null }, operation.id);
  return { operation, cancelled };
}

export interface SourceInput {
  /** The real path, already checked against the document roots (resolveSourcePath). */
  realPath: string;
  recursive: boolean;
  include?: string[];
  exclude?: string[];
  /** Scheduled sync every N minutes (null: none); undefined keeps what the source had. */
  sync_interval_minutes?: number | null;
  watch?: boolean;
}

/**
 * Who owns a collection the caller may add sources to: its sources must lie inside the owner's
 * document roots (the scanner and the content route read with those), checked before the transaction
 * that adds the source because the check reads the file system.
 */
export async function collectionOwnerForNewSource(repos: Repositories, principal: Principal, collectionId: string): Promise<UserRow> {
  const collection = await requireCollectionAccess(repos, principal, collectionId, 'write');
  return collection.owner_id === principal.user.id ? principal.user : repos.users.getById(collection.owner_id);
}

export async function addSource(ctx: CollectionContext, collectionId: string, input: SourceInput): Promise<OperationRow> {
  const collection = await requireCollectionAccess(ctx.repos, ctx.principal, collectionId, 'write');
  const owner = collection.owner_id === ctx.principal.user.id ? ctx.principal.user : await ctx.repos.users.getById(collection.owner_id);
  await ctx.repos.sources.lockFolderClaims();
  await requireFolderNotPrivateToOthers(ctx.repos, ctx.principal, collection, owner, input.realPath);
  const existingSources = await ctx.repos.sources.listByCollection(collectionId);
  const documents = await ctx.repos.documents.list({ collectionId, page: 1, perPage: 1 });
  const sourceConfig = { recursive: input.recursive, include: input.include ?? [], exclude: input.exclude ?? [] };
  let source = await ctx.repos.sources.upsert({ collection_id: collectionId, source_path: input.realPath, source_type: 'directory', config: sourceConfig });
  if (input.sync_interval_minutes !== undefined || input.watch !== undefined) {
    source = await ctx.repos.sources.update(source.id, { sync_interval_minutes: input.sync_interval_minutes, watch: input.watch });
  }
  const isFirst = documents.total === 0 && existingSources.every((s) => s.id === source.id);
  const type: OperationType = isFirst ? 'index' : 'append';
  const operation = await enqueueOperation(ctx.tx, ctx.repos, {
    collectionId,
    userId: ctx.principal.user.id,
    type,
    config: { source_id: source.id, source_path: source.source_path, ...sourceConfig },
  });
  await audit(ctx, collectionId, 'source_added', { source_path: source.source_path, operation_type: type }, operation.id);
  return operation;
}

export interface SourceChanges {
  sync_interval_minutes?: number | null;
  watch?: boolean;
  /** New scan config: applied by the next sync (files now excluded are removed from search then). */
  config?: { recursive: boolean; include: string[]; exclude: string[] };
}

/** PATCH a source: schedule, watching, scan config. Write access, like adding one. */
export async function updateSource(ctx: CollectionContext, collectionId: string, sourceId: number, changes: SourceChanges): Promise<CollectionSourceRow> {
  await requireCollectionAccess(ctx.repos, ctx.principal, collectionId, 'write');
  const source = await ctx.repos.sources.findById(sourceId);
  if (!source || source.collection_id !== collectionId) throw new NotFoundError(`Collection ${collectionId} has no source ${sourceId}`);
  const row = await ctx.repos.sources.update(sourceId, changes);
  await audit(ctx, collectionId, 'source_updated', { source_path: row.source_path, fields: Object.keys(changes) });
  return row;
}

/** The path as stored (real path) or as the caller typed it before resolution. */
export async function removeSource(ctx: CollectionContext, collectionId: string, sourcePaths: readonly string[]): Promise<OperationRow> {
  await requireCollectionAccess(ctx.repos, ctx.principal, collectionId, 'write');
  let source: CollectionSourceRow | undefined;
  for (const candidate of sourcePaths) {
    source ??= await ctx.repos.sources.findByPath(collectionId, candidate);
  }
  if (!source) throw new NotFoundError(`Collection ${collectionId} has no source ${sourcePaths[0]}`);
  const operation = await enqueueOperation(ctx.tx, ctx.repos, {
    collectionId,
    userId: ctx.principal.user.id,
    type: 'remove_source',
    config: { source_id: source.id, source_path: source.source_path },
  });
  await audit(ctx, collectionId, 'source_removal_requested', { source_path: source.source_path }, operation.id);
  return operation;
}

/**
 * Enqueues a `sync` of one source (by stored or typed path) or of every source. 409 while another
 * operation runs (enqueueOperation), like the other writes.
 */
export async function syncCollection(ctx: CollectionContext, collectionId: string, sourcePaths?: readonly string[]): Promise<OperationRow> {
  await requireCollectionAccess(ctx.repos, ctx.principal, collectionId, 'write');
  let source: CollectionSourceRow | undefined;
  if (sourcePaths) {
    for (const candidate of sourcePaths) source ??= await ctx.repos.sources.findByPath(collectionId, candidate);
    if (!source) throw new NotFoundError(`Collection ${collectionId} has no source ${sourcePaths[0]}`);
  } else if ((await ctx.repos.sources.listByCollection(collectionId)).length === 0) {
    throw new ValidationError('The collection has no sources to sync; add a folder first', { field: 'source_path' });
  }
  const operation = await enqueueSync(ctx.tx, ctx.repos, { collectionId, userId: ctx.principal.user.id, source, reason: 'manual' });
  await audit(ctx, collectionId, 'sync_requested', { source_path: source?.source_path ?? null }, operation.id);
  return operation;
}

export interface ReindexInput {
  chunk_size?: number;
  chunk_overlap?: number;
  embedding_model?: string;
}

export async function reindexCollection(ctx: CollectionContext, collectionId: string, input: ReindexInput): Promise<OperationRow> {
  const collection = await requireCollectionAccess(ctx.repos, ctx.principal, collectionId, 'write');
  const choice = chooseEmbeddingModel(input.embedding_model ?? modelForRebuild(collection.embedding_model, ctx.config.defaultEmbeddingModel), ctx.config.defaultEmbeddingModel);
  const settings = {
    chunk_size: input.chunk_size ?? collection.chunk_size,
    chunk_overlap: input.chunk_overlap ?? collection.chunk_overlap,
    embedding_model: choice.model,
  };
  checkChunking(settings.chunk_size, settings.chunk_overlap);
  const dimension = choice.dimension;
  if (dimension !== PREBUILT_INDEX_DIMENSION) await ctx.repos.chunks.ensureVectorIndex(dimension);
  const operation = await enqueueOperation(ctx.tx, ctx.repos, { collectionId, userId: ctx.principal.user.id, type: 'reindex', config: settings });
  await audit(ctx, collectionId, 'reindex_requested', settings, operation.id);
  return operation;
}

export interface OperationFilter {
  page: number;
  perPage: number;
  statuses?: OperationStatus[];
  types?: OperationType[];
}

export async function listCollectionOperations(repos: Repositories, principal: Principal, collectionId: string, filter: OperationFilter) {
  await requireCollectionAccess(repos, principal, collectionId, 'read');
  return repos.operations.list({ collectionId, page: filter.page, perPage: filter.perPage, statuses: filter.statuses, types: filter.types });
}
