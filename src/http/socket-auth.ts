import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { AppDeps } from './app-deps.js';
import { credentialOf, resolvePrincipal } from './auth.hook.js';
import { sendError } from './error.mapper.js';

/**
 * How every WebSocket (`/ws/operations/{id}`, `/ws/directory-scan/{scan_id}`) authenticates,
 * before the upgrade, so a refusal is a plain HTTP 401.
 */

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

export interface SocketAuthQuery {
  ticket?: string;
  token?: string;
}

/**
 * The socket's credential: `?ticket=` from POST /api/v2/ws-tickets (what our web UI sends), else
 * the deprecated `?token=` (the original Python web UI sends it; kept so it keeps working, but a
 * long-lived token in a URL ends up in proxy and access logs), else the `access_token.<jwt>`
 * subprotocol (the newest original UI), else the usual headers.
 */
function socketCredential(deps: AppDeps, request: FastifyRequest<{ Querystring: SocketAuthQuery }>): string {
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

/** Resolves the socket's credential to its principal and sets `request.principal`; throws UnauthorizedError. */
export async function authenticateSocket(deps: AppDeps, request: FastifyRequest<{ Querystring: SocketAuthQuery }>): Promise<Principal> {
  const principal = await resolvePrincipal(deps, socketCredential(deps, request));
  request.principal = principal;
  return principal;
}

/**
 * Every socket's `preValidation`, before the upgrade: an id that cannot exist is a 404, then
 * `admit` (authentication, plus the access check where the socket reads a resource). A refusal is
 * a plain HTTP answer from the one error mapper.
 */
export function socketGate<R extends FastifyRequest<{ Querystring: SocketAuthQuery }>>(
  isValidId: (request: R) => boolean,
  notFoundMessage: string,
  admit: (request: R) => Promise<unknown>,
): (request: R, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    try {
      if (!isValidId(request)) throw new NotFoundError(notFoundMessage);
      await admit(request);
    } catch (err) {
      return sendError(err, request, reply);
    }
  };
}
