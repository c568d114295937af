import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';

/**
 * Account-level actions (managing API keys, changing a password, administering users) need an
 * interactive session: a signed-in user's access token, not an API key. A key is a long-lived
 * secret that lives in scripts and config files; if one leaks, revoking it must evict the holder,
 * which fails if the key could mint successor keys or change the password first.
 */
export function requireInteractiveSession(principal: Principal | null, action: string): Principal {
  if (!principal) throw new UnauthorizedError();
  if (principal.apiKeyId !== undefined) {
    throw new ForbiddenError(
      `${action} needs a signed-in session: API keys cannot do it. Sign in (POST /api/auth/login) and send the access token as "Authorization: Bearer <token>".`,
    );
  }
  return principal;
}

/**
 * onRequest hook form, for a whole plugin (`app.addHook('onRequest', interactiveSessionOnly('Managing API keys'))`)
 * or one route (`onRequest: [authenticate, interactiveSessionOnly('Changing a password')]`). It must run after
 * `authenticate`; parent-scope hooks run first, so a plugin under the authenticated scope is fine.
 */
export function interactiveSessionOnly(action: string) {
  return async (request: FastifyRequest): Promise<void> => {
    requireInteractiveSession(request.principal, action);
  };
}
