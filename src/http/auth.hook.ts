import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireKeyAllowsMethod } from '../api-keys/api-key.scope.js';
import { authenticateApiKey, looksLikeApiKey } from '../api-keys/api-key.service.js';
import { AccessTokens } from '../auth/jwt.tokens.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { AppDeps } from './app-deps.js';

/** `Authorization: Bearer <jwt | api key>` or `X-API-Key: <api key>`. */
export function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}

/**
 * Resolves a JWT or an API key to its user, in a short unit of work of its own (the key lookup
 * writes last_used_at, which a read-only request transaction could not). Every request looks the
 * user/key up again — for an access token together with its login session, in the same query —
 * so deactivation, logout and key or session revocation take effect on the next request.
 */
export async function resolvePrincipal(deps: AppDeps, credential: string): Promise<Principal> {
  if (AccessTokens.looksLikeJwt(credential)) {
    const { userId, sessionId } = await deps.tokens.verify(credential);
    const row = await inUnitOfWork(deps.database, (tx) => repositoriesFor(tx).users.findByIdWithSession(userId, sessionId), { readOnly: true });
    if (!row || !row.is_active) throw new UnauthorizedError('User not found or inactive');
    if (!row.session_alive) throw new UnauthorizedError('Session ended (logged out or revoked); log in again');
    const { session_alive: _alive, ...user } = row;
    return { user, sessionId };
  }
  if (looksLikeApiKey(credential)) {
    return inUnitOfWork(deps.database, (tx) => authenticateApiKey(repositoriesFor(tx), credential));
  }
  throw new UnauthorizedError('Unrecognised credential: send an access token or an API key (smk_…)');
}

/**
 * onRequest hook for protected routes: runs before body parsing and validation, so no work is done
 * for strangers. It is also where a read-only API key is refused any write, once for every route.
 */
export async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const credential = credentialOf(request);
  if (!credential) {
    reply.header('WWW-Authenticate', 'Bearer');
    throw new UnauthorizedError('Not authenticated: send "Authorization: Bearer <token>" or "X-API-Key: <key>"');
  }
  const principal = await resolvePrincipal(request.server.deps, credential);
  requireKeyAllowsMethod(principal, request.method, request.routeOptions.config?.readOnly === true);
  request.principal = principal;
}
