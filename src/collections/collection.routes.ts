import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OPERATION_STATUSES, OPERATION_TYPES, type OperationStatus, type OperationType } from '../db/schema.js';
import { idParams, csvEnum, pageQuery } from '../http/request-schemas.js';
import { noContent } from '../http/response-schemas.js';
import { uow, type AuthenticatedScope } from '../http/unit-of-work.hook.js';
import { globListSchema } from '../indexing/job-payloads.js';
import { toOperationJson } from '../operations/operation.mapper.js';
import { operationResponse } from '../operations/operation.response-schema.js';
import { COLLECTION_SORT_FIELDS } from './collection.repository.js';
import { toCollectionJson, toSourceJson } from './collection.mapper.js';
import {
  collectionDetailsResponse,
  collectionListResponse,
  collectionResponse,
  collectionSourceResponse,
  createdCollectionResponse,
} from './collection.response-schema.js';
import type { AppConfig } from '../config/config.js';
import type { UserRow } from '../db/schema.js';
import { requireDocumentRoots } from '../users/user-document-roots.js';
import {
  addSource,
  collectionOwnerForNewSource,
  createCollection,
  deleteCollection,
  getCollectionWithSources,
  listCollectionOperations,
  listCollections,
  reindexCollection,
  removeSource,
  syncCollection,
  updateSource,
  updateCollection,
  type CollectionContext,
} from './collection.service.js';
import { resolveSourcePath, type SourcePathOptions } from '../document-roots/document-roots.js';

const name = z.string().trim().min(1).max(128);
const description = z.string().max(2000).nullish();
const chunkSize = z.number().int().min(100).max(10_000);
const chunkOverlap = z.number().int().min(0).max(9_999);
const metadata = z.record(z.string(), z.unknown());
const modelName = z.string().trim().min(1).max(200);

const createBody = z.object({
  name,
  description,
  embedding_model: modelName.optional(),
  quantization: z.enum(['float32', 'float16', 'int8']).default('float32'),
  chunk_size: chunkSize.default(1000),
  chunk_overlap: chunkOverlap.default(200),
  is_public: z.boolean().default(false),
  metadata: metadata.optional(),
});

const updateBody = z.object({ name: name.optional(), description, is_public: z.boolean().optional(), metadata: metadata.optional() });

const listQuery = z.object({
  ...pageQuery,
  search: z.string().max(200).optional(),
  sort_by: z.enum(COLLECTION_SORT_FIELDS).default('created_at'),
  sort_order: z.enum(['asc', 'desc']).default('desc'),
});

/** 1 minute to 30 days; a folder is not meant to be re-scanned more than once a minute (use watch). */
const syncIntervalMinutes = z.number().int().min(1).max(43_200).nullable();

const sourceBody = z.object({
  source_path: z.string().min(1).max(4096),
  sync_interval_minutes: syncIntervalMinutes.optional(),
  watch: z.boolean().optional(),
  config: z
    .object({
      recursive: z.boolean().default(true),
      include: globListSchema.optional(),
      exclude: globListSchema.optional(),
    })
    .default({ recursive: true }),
});

const sourcePatchBody = z
  .object({
    sync_interval_minutes: syncIntervalMinutes.optional(),
    watch: z.boolean().optional(),
    config: z.object({ recursive: z.boolean().default(true), include: globListSchema.default([]), exclude: globListSchema.default([]) }).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change: give sync_interval_minutes, watch or config' });

// The body is optional: a bare POST reindexes with the current settings (Fastify hands us null).
const reindexBody = z
  .object({ chunk_size: chunkSize.optional(), chunk_overlap: chunkOverlap.optional(), embedding_model: modelName.optional() })
  .nullish()
  .transform((body) => body ?? {});

// Optional body: a bare POST syncs every source of the collection.
const syncBody = z
  .object({ source_path: z.string().min(1).max(4096).optional() })
  .nullish()
  .transform((body) => body ?? {});

const operationsQuery = z.object({
  ...pageQuery,
  status: csvEnum(OPERATION_STATUSES as [OperationStatus, ...OperationStatus[]]).optional(),
  type: csvEnum(OPERATION_TYPES as [OperationType, ...OperationType[]]).optional(),
});

/** Only admins are told why a path outside the roots was refused, and which roots exist. */
function sourcePathOptions(request: FastifyRequest): SourcePathOptions {
  return { allowDotPaths: request.server.deps.config.allowDotPaths, revealDetails: request.principal?.user.is_superuser === true };
}

function context(scope: AuthenticatedScope, request: FastifyRequest): CollectionContext {
  return {
    tx: scope.tx,
    repos: scope.repos,
    principal: scope.principal,
    config: scope.deps.config,
    meta: { ip: request.ip, userAgent: request.headers['user-agent'] },
  };
}

/** `/api/v2/collections…` (registered under the authenticated /api/v2 scope). */
export const collectionRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['collections'];

  r.post('/collections', { schema: { tags, summary: 'Create a collection', body: createBody, response: { 201: createdCollectionResponse } } }, async (request, reply) => {
    const { collection, initialOperation } = await uow(request, (scope) => createCollection(context(scope, request), request.body));
    return reply.code(201).send({ ...toCollectionJson(collection), initial_operation_id: initialOperation.id });
  });

  r.get('/collections', { schema: { tags, summary: 'Collections the caller owns, shared with them, or public', querystring: listQuery, response: { 200: collectionListResponse } } }, async (request) => {
    const q = request.query;
    const page = await uow(
      request,
      ({ repos, principal }) =>
        listCollections(repos, principal, { page: q.page, perPage: q.per_page, search: q.search, sortBy: q.sort_by, sortOrder: q.sort_order }),
      { readOnly: true },
    );
    return { collections: page.items.map(toCollectionJson), total: page.total, page: page.page, per_page: page.perPage };
  });

  r.get('/collections/:id', { schema: { tags, summary: 'A collection with its sources', params: idParams, response: { 200: collectionDetailsResponse } } }, async (request) => {
    const { collection, sources } = await uow(request, ({ repos, principal }) => getCollectionWithSources(repos, principal, request.params.id), {
      readOnly: true,
    });
    return { ...toCollectionJson(collection), sources: sources.map(toSourceJson) };
  });

  r.put('/collections/:id', { schema: { tags, summary: 'Rename, describe, publish or label a collection', params: idParams, body: updateBody, response: { 200: collectionResponse } } }, async (request) => {
    const row = await uow(request, (scope) => updateCollection(context(scope, request), request.params.id, request.body));
    return toCollectionJson(row);
  });

  r.delete('/collections/:id', { schema: { tags, summary: 'Delete a collection (202 + delete operation, or 204 when empty)', params: idParams, response: { 202: operationResponse, 204: noContent } } }, async (request, reply) => {
    const result = await uow(request, (scope) => deleteCollection(context(scope, request), request.params.id));
    if ('deleted' in result) return reply.code(204).send();
    if (result.cancelled) await publishCancelled(request, result.cancelled);
    return reply.code(202).send(toOperationJson(result.operation));
  });

  r.post(
    '/collections/:id/sources',
    { schema: { tags, summary: 'Add a folder and index it (202 + index/append operation)', params: idParams, body: sourceBody, response: { 202: operationResponse } } },
    async (request, reply) => {
      const owner = await uow(request, ({ repos, principal }) => collectionOwnerForNewSource(repos, principal, request.params.id), { readOnly: true });
      // Path checks touch the file system: done between the two transactions.
      const realPath = await resolveNewSourcePath(request.body.source_path, request.principal!.user, owner, request.server.deps.config, sourcePathOptions(request));
      const { recursive, include, exclude } = request.body.config;
      const { sync_interval_minutes, watch } = request.body;
      const operation = await uow(request, (scope) =>
        addSource(context(scope, request), request.params.id, { realPath, recursive, include, exclude, sync_interval_minutes, watch }),
      );
      return reply.code(202).send(toOperationJson(operation));
    },
  );

  r.delete(
    '/collections/:id/sources',
    {
      schema: {
        tags,
        summary: 'Remove a source and its documents (202 + remove_source operation)',
        params: idParams,
        querystring: z.object({ source_path: z.string().min(1).max(4096) }),
        response: { 202: operationResponse },
      },
    },
    async (request, reply) => {
      const given = request.query.source_path;
      const real = await resolveSourcePath(given, request.server.deps.config.documentRoots, sourcePathOptions(request)).catch(() => undefined);
      const operation = await uow(request, (scope) => removeSource(context(scope, request), request.params.id, real ? [given, real] : [given]));
      return reply.code(202).send(toOperationJson(operation));
    },
  );

  r.post(
    '/collections/:id/reindex',
    { schema: { tags, summary: 'Rebuild the index blue/green (202 + reindex operation)', params: idParams, body: reindexBody, response: { 202: operationResponse } } },
    async (request, reply) => {
      const operation = await uow(request, (scope) => reindexCollection(context(scope, request), request.params.id, request.body));
      return reply.code(202).send(toOperationJson(operation));
    },
  );

  r.patch(
    '/collections/:id/sources/:sourceId',
    {
      schema: {
        tags,
        summary: "Change a source's sync schedule, watching or scan config (applied by the next sync)",
        params: idParams.extend({ sourceId: z.coerce.number().int().positive() }),
        body: sourcePatchBody,
        response: { 200: collectionSourceResponse },
      },
    },
    async (request) => {
      const row = await uow(request, (scope) => updateSource(context(scope, request), request.params.id, request.params.sourceId, request.body));
      return toSourceJson(row);
    },
  );

  r.post(
    '/collections/:id/sync',
    { schema: { tags, summary: 'Bring sources in step with their folders: added, changed, deleted files (202 + sync operation)', params: idParams, body: syncBody, response: { 202: operationResponse } } },
    async (request, reply) => {
      const given = request.body.source_path;
      const real = given ? await resolveSourcePath(given, request.server.deps.config.documentRoots, sourcePathOptions(request)).catch(() => undefined) : undefined;
      const paths = given === undefined ? undefined : real ? [given, real] : [given];
      const operation = await uow(request, (scope) => syncCollection(context(scope, request), request.params.id, paths));
      return reply.code(202).send(toOperationJson(operation));
    },
  );

  r.get(
    '/collections/:id/operations',
    { schema: { tags, summary: "A collection's operations, newest first", params: idParams, querystring: operationsQuery, response: { 200: z.array(operationResponse) } } },
    async (request) => {
      const q = request.query;
      const page = await uow(
        request,
        ({ repos, principal }) =>
          listCollectionOperations(repos, principal, request.params.id, { page: q.page, perPage: q.per_page, statuses: q.status, types: q.type }),
        { readOnly: true },
      );
      return page.items.map(toOperationJson);
    },
  );
};

/**
 * A new source must be inside the caller's document roots and, when someone else owns the
 * collection, inside the owner's too (the owner's are what scans and downloads use).
 */
async function resolveNewSourcePath(sourcePath: string, caller: UserRow, owner: UserRow, config: AppConfig, options: SourcePathOptions): Promise<string> {
  const realPath = await resolveSourcePath(sourcePath, await requireDocumentRoots(caller, config), options);
  if (owner.id !== caller.id) await resolveSourcePath(realPath, await requireDocumentRoots(owner, config), options);
  return realPath;
}

async function publishCancelled(request: FastifyRequest, operation: Parameters<typeof toOperationJson>[0]): Promise<void> {
  const json = toOperationJson(operation);
  await request.server.deps.eventBus
    .publish({
      type: 'operation_cancelled',
      operation_id: operation.id,
      collection_id: operation.collection_id,
      data: { status: 'cancelled', progress: json.progress, error_message: operation.error_message },
    })
    .catch((err: unknown) => request.log.warn({ err }, 'could not publish operation_cancelled'));
}
