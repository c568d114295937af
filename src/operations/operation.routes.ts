import type {} from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCollectionAccess } from '../access/collection-access.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import { OPERATION_STATUSES, OPERATION_TYPES, type OperationRow, type OperationStatus, type OperationType } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { DomainError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { AppDeps } from '../http/app-deps.js';
import { authenticateSocket, socketGate, type SocketAuthQuery } from '../http/socket-auth.js';
import { csvEnum, idParams, pageQuery } from '../http/request-schemas.js';
import { uow } from '../http/unit-of-work.hook.js';
import { isTerminalEvent, type OperationEvent, type OperationEventType } from './operation-events.js';
import { toLegacyOperationJson, toOperationJson } from './operation.mapper.js';
import { operationListOrLegacyResponse, operationResponse } from './operation.response-schema.js';
import { cancelOperation } from './operation.service.js';

/** An operation the principal may see (its collection is readable), else the same 404 as a missing one. */
async function readableOperation(repos: Repositories, principal: Principal, id: string, access: 'read' | 'write' = 'read'): Promise<OperationRow> {
  const operation = await repos.operations.getById(id);
  await requireCollectionAccess(repos, principal, operation.collection_id, access).catch((err: unknown) => {
    // Operation ids must not reveal other users' collections either.
    if (err instanceof DomainError && err.code === 'not_found') throw new DomainError('not_found', `Operation ${id} not found`);
    throw err;
  });
  return operation;
}

const listQuery = z.object({
  ...pageQuery,
  status: csvEnum(OPERATION_STATUSES as [OperationStatus, ...OperationStatus[]]).optional(),
  operation_type: csvEnum(OPERATION_TYPES as [OperationType, ...OperationType[]]).optional(),
  /**
   * The v2-release original UI's parameter (`?status=processing,pending&limit=100`): it expects a
   * bare array with a numeric `progress`. Its presence selects that legacy form; our UI and the
   * newest original send `page`/`per_page` and get the contract's envelope.
   */
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** `/api/v2/operations…` (registered under the authenticated /api/v2 scope). */
export const operationRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['operations'];

  r.get('/operations/:id', { schema: { tags, summary: 'One operation with its progress', params: idParams, response: { 200: operationResponse } } }, async (request) => {
    const row = await uow(request, ({ repos, principal }) => readableOperation(repos, principal, request.params.id), { readOnly: true });
    return toOperationJson(row);
  });

  r.get('/operations', {
      schema: {
        tags,
        summary: 'Operations on collections the caller can see, newest first (with `limit`: the original UI\'s bare array)',
        querystring: listQuery,
        response: { 200: operationListOrLegacyResponse },
      },
    }, async (request) => {
    const q = request.query;
    const page = await uow(
      request,
      ({ repos, principal }) =>
        repos.operations.list({
          page: q.limit === undefined ? q.page : 1,
          perPage: q.limit ?? q.per_page,
          statuses: q.status,
          types: q.operation_type,
          listedFor: principal,
        }),
      { readOnly: true },
    );
    if (q.limit !== undefined) return page.items.map(toLegacyOperationJson);
    return { operations: page.items.map(toOperationJson), total: page.total, page: page.page, per_page: page.perPage };
  });

  r.delete('/operations/:id', { schema: { tags, summary: 'Cancel a pending or running operation (409 if it already ended)', params: idParams, response: { 200: operationResponse } } }, async (request) => {
    const row = await uow(request, async ({ repos, principal }) => {
      await readableOperation(repos, principal, request.params.id, 'write');
      return cancelOperation(repos, request.params.id);
    });
    const json = toOperationJson(row);
    // After commit, so a watcher never hears of a cancellation that rolled back.
    await request.server.deps.eventBus
      .publish({ type: 'operation_cancelled', operation_id: row.id, collection_id: row.collection_id, data: { status: 'cancelled', progress: json.progress } })
      .catch((err: unknown) => request.log.warn({ err }, 'could not publish operation_cancelled'));
    return json;
  });
};

const EVENT_BY_STATUS: Record<OperationStatus, OperationEventType> = {
  pending: 'progress',
  processing: 'progress',
  completed: 'operation_completed',
  failed: 'operation_failed',
  cancelled: 'operation_cancelled',
};

/** The first message: the operation as it is now, in the shape of the event for its status. */
export function currentStateEvent(row: OperationRow): OperationEvent & { data: OperationEvent['data'] & { operation: ReturnType<typeof toOperationJson> } } {
  const json = toOperationJson(row);
  return {
    type: EVENT_BY_STATUS[row.status],
    operation_id: row.id,
    collection_id: row.collection_id,
    data: { status: row.status, progress: json.progress, error_message: row.error_message, operation: json },
  };
}

interface SocketRequest {
  Params: { id: string };
  Querystring: SocketAuthQuery;
}

async function authorizeSocket(deps: AppDeps, request: FastifyRequest<SocketRequest>): Promise<void> {
  const principal = await authenticateSocket(deps, request);
  await inUnitOfWork(deps.database, (tx) => readableOperation(repositoriesFor(tx), principal, request.params.id), { readOnly: true });
}

/**
 * WS `/ws/operations/{id}?ticket=…` (or the deprecated `?token=…`): authentication and the 404
 * check happen before the upgrade (plain HTTP 401/404). Then: subscribe first, read the current
 * state, send it, forward buffered and live events until a terminal one, close. Subscribing
 * before reading means no event falls in the gap between the two.
 */
export const operationSocketRoutes: FastifyPluginAsync = async (app) => {
  const { deps } = app;
  app.get<SocketRequest>(
    '/ws/operations/:id',
    {
      websocket: true,
      schema: { hide: true } as Record<string, unknown>,
      preValidation: socketGate<FastifyRequest<SocketRequest>>(
        (request) => idParams.safeParse(request.params).success,
        'Operation not found',
        (request) => authorizeSocket(deps, request),
      ),
    },
    (socket, request) => {
      const operationId = request.params.id;
      let closed = false;
      let ready = false;
      const buffered: OperationEvent[] = [];
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        socket.close(1000, 'operation ended');
      };
      const send = (event: OperationEvent) => {
        if (closed) return;
        socket.send(JSON.stringify(event));
        if (isTerminalEvent(event.type)) close();
      };
      const unsubscribe = deps.eventBus.subscribe(operationId, (event) => (ready ? send(event) : buffered.push(event)));
      socket.on('close', () => {
        closed = true;
        unsubscribe();
      });
      socket.on('error', (err: Error) => request.log.debug({ err }, 'operation socket error'));

      inUnitOfWork(deps.database, (tx) => repositoriesFor(tx).operations.getById(operationId), { readOnly: true })
        .then((row) => {
          send(currentStateEvent(row));
          ready = true;
          for (const event of buffered.splice(0)) send(event);
        })
        .catch((err: unknown) => {
          request.log.warn({ err, operationId }, 'could not read operation state for socket');
          if (!closed) {
            closed = true;
            unsubscribe();
            socket.close(1011, 'could not read the operation');
          }
        });
    },
  );
};
