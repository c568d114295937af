import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { Principal } from '../access/principal.js';
import type { OperationEventBus } from '../operations/operation-events.js';
import type { Logger } from '../shared/logger.js';
import type { AccessTokens } from '../auth/jwt.tokens.js';
import type { LoginRateLimiter } from '../auth/login-rate.limiter.js';
import type { SocketTicketStore } from '../auth/socket-ticket.store.js';
import type { HttpMetrics } from './metrics.js';

/** What the app is built from (buildApp's argument). */
export interface AppOptions {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: OperationEventBus;
  /** Folder of the built web UI; default `web/dist` of the checkout when it exists, `null` disables it. */
  webRoot?: string | null;
  /** Fail a reply whose response schema would drop a field instead of dropping it (the test app sets it). */
  failOnDroppedResponseFields?: boolean;
}

/**
 * Everything route plugins need, passed as the plugin options. Built once per app, so tests get
 * isolated metrics registries and rate limiters.
 */
export interface AppDeps {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: OperationEventBus;
  tokens: AccessTokens;
  loginLimiter: LoginRateLimiter;
  socketTickets: SocketTicketStore;
  metrics: HttpMetrics;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that changes nothing (search): allowed for read-only API keys (api-key.scope.ts). */
    readOnly?: boolean;
  }
  interface FastifyInstance {
    deps: AppDeps;
  }
  interface FastifyRequest {
    /** Set by the authentication hook on protected routes; null on public ones. */
    principal: Principal | null;
  }
}
