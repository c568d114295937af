import type {} from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { keyCollectionFilter } from '../api-keys/api-key.scope.js';
import { requireCollectionAccess } from '../collections/collection.access.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import { OPERATION_STATUSES, OPERATION_TYPES, type OperationRow, type OperationStatus, type OperationType } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { DomainError, UnauthorizedError } from '../errors/domain-errors.js';
import type { AppDeps, Principal } from '../http/app-deps.js';
import { credentialOf, resolvePrincipal } from '../http/auth.hook.js';
import { sendError } from '../http/error.mapper.js';
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
          visibleToUserId: principal.user.id,
          includeGranted: true,
          grantedApiKeyId: principal.apiKeyId,
          onlyCollectionIds: keyCollectionFilter(principal),
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
  Querystring: { ticket?: string; token?: string };
}

/** The newest original web UI authenticates its sockets with `Sec-WebSocket-Protocol: access_token.<jwt>`. */
const ACCESS_TOKEN_PROTOCOL_PREFIX = 'access_token.';

function accessTokenFromProtocols(header: string | string[] | undefined): string | undefined {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  const chosen = offered.find((p) => p.startsWith(ACCESS_TOKEN_PROTOCOL_PREFIX));
  return chosen ? chosen.slice(ACCESS_TOKEN_PROTOCOL_PREFIX.length) || undefined : undefined;
}

/**
 * ws's `handleProtocols`: a browser closes a socket whose answer names none of the subprotocols it
 * offered, so the `access_token.<jwt>` one is echoed (its token was checked before the upgrade).
 */
export function chooseSocketProtocol(protocols: Set<string>): string | false {
  for (const protocol of protocols) if (protocol.startsWith(ACCESS_TOKEN_PROTOCOL_PREFIX)) return protocol;
  const [first] = protocols;
  return first ?? false;
}

/**
 * The socket's credential: `?ticket=` from POST /api/v2/ws-tickets (what our web UI sends), else
 * the deprecated `?token=` (the original Python web UI sends it; kept so it keeps working, but a
 * long-lived token in a URL ends up in proxy and access logs), else the `access_token.<jwt>`
 * subprotocol (the newest original UI), else the usual headers.
 */
function socketCredential(deps: AppDeps, request: FastifyRequest<SocketRequest>): string {
  const { ticket, token } = request.query;
  if (ticket) {
    const credential = deps.socketTickets.redeem(ticket);
    if (!credential) throw new UnauthorizedError('WebSocket ticket unknown, already used or expired; get a new one with POST /api/v2/ws-tickets');
    return credential;
  }
  const credential = token || accessTokenFromProtocols(request.headers['sec-websocket-protocol']) || credentialOf(request);
  if (!credential) throw new UnauthorizedError('Pass ?ticket=<ticket from POST /api/v2/ws-tickets>');
  return credential;
}

async function authorizeSocket(deps: AppDeps, request: FastifyRequest<SocketRequest>): Promise<void> {
  const principal = await resolvePrincipal(deps, socketCredential(deps, request));
  request.principal = principal;
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
      preValidation: async (request: FastifyRequest<SocketRequest>, reply: FastifyReply) => {
        if (!idParams.safeParse(request.params).success) {
          return reply.code(404).send({ detail: 'Operation not found', code: 'not_found' });
        }
        try {
          await authorizeSocket(deps, request);
        } catch (err) {
          return sendError(err, request, reply);
        }
      },
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
