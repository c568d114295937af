import type { FastifyRequest } from 'fastify';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import { inUnitOfWork, type Tx } from '../db/unit-of-work.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { AppDeps } from './app-deps.js';

export interface RequestScope {
  tx: Tx;
  repos: Repositories;
  deps: AppDeps;
  request: FastifyRequest;
}

export interface AuthenticatedScope extends RequestScope {
  principal: Principal;
}

export interface RequestUnitOfWorkOptions {
  /** Read-only routes: PostgreSQL refuses writes, and the intent is visible in the route. */
  readOnly?: boolean;
}

/**
 * The request's unit of work: one transaction around the handler's work, with repositories built
 * over it. Commit on success, roll back on any error; the whole function is re-run on transient
 * database errors (so `work` must not have effects outside the database before it returns).
 * Services and repositories never open their own — they get `tx`/`repos` from here.
 */
export function uow<T>(request: FastifyRequest, work: (scope: AuthenticatedScope) => Promise<T>, options: RequestUnitOfWorkOptions = {}): Promise<T> {
  const principal = request.principal;
  if (!principal) return Promise.reject(new UnauthorizedError());
  return publicUow(request, (scope) => work({ ...scope, principal }), options);
}

/** The same, for routes that work without a signed-in user (register, login, refresh). */
export function publicUow<T>(request: FastifyRequest, work: (scope: RequestScope) => Promise<T>, options: RequestUnitOfWorkOptions = {}): Promise<T> {
  const deps = request.server.deps;
  return inUnitOfWork(deps.database, (tx) => work({ tx, repos: repositoriesFor(tx), deps, request }), {
    readOnly: options.readOnly,
    onRetry: (attempt, err) => request.log.warn({ err, attempt, requestId: request.id }, 'retrying request transaction after a transient database error'),
  });
}
