import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { apiKeyRoutes } from '../api-keys/api-key.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { AccessTokens } from '../auth/jwt.tokens.js';
import { loginBudgetsFrom, LoginRateLimiter } from '../auth/login-rate.limiter.js';
import { socketTicketRoutes } from '../auth/socket-ticket.routes.js';
import { SocketTicketStore } from '../auth/socket-ticket.store.js';
import { collectionRoutes } from '../collections/collection.routes.js';
import { directoryScanRoutes } from '../directory-scan/directory-scan.routes.js';
import { documentRoutes } from '../documents/document.routes.js';
import { healthRoutes } from '../health/health.routes.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { mcpRoutes } from '../mcp/mcp.routes.js';
import { operationRoutes, operationSocketRoutes } from '../operations/operation.routes.js';
import { cachedEmbedderLookup } from '../search/query-embedder.js';
import { searchRoutes } from '../search/search.routes.js';
import { modelRoutes, settingsStatsRoutes, systemStatusRoutes } from '../system/system.routes.js';
import { userAdminRoutes } from '../users/user-admin.routes.js';
import type { AppDeps, AppOptions } from './app-deps.js';
import { authenticate } from './auth.hook.js';
import { sendError } from './error.mapper.js';
import { registerJsonBodyParser } from './json-body.parser.js';
import { HttpMetrics } from './metrics.js';
import { registerSecurityHeaders } from './security-headers.js';
import { chooseSocketProtocol } from './socket-auth.js';

export type { AppDeps, AppOptions, Principal } from './app-deps.js';

/** `web/dist` of this checkout (same depth from src/http and dist/http). */
function defaultWebRoot(): string | null {
  const candidate = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
  return fs.existsSync(path.join(candidate, 'index.html')) ? candidate : null;
}

const API_OR_SOCKET = /^\/(api|ws)(\/|$|\?)/;

/**
 * The HTTP application, not listening: tests call `app.inject()`, `semantik serve` calls
 * `listen`. Route modules live in their capability folders and are registered here, one line each.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  return (await createApp(options)) as unknown as FastifyInstance;
}

async function createApp(options: AppOptions) {
  const { config, database, logger, eventBus } = options;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.maxBodyBytes,
    // Request ids are UUIDs so the one a user quotes from a 500 body is unique across restarts.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID();
    },
    // One access line per request at info would dominate the logs; errors are logged by the mapper.
    logController: new LogController({ disableRequestLogging: true }),
    // Off by default: request.ip (login budgets) is the socket peer; see SEMANTIK_TRUST_PROXY.
    trustProxy: config.trustProxy,
  });

  const deps: AppDeps = {
    config,
    database,
    logger,
    eventBus,
    tokens: AccessTokens.fromConfig(config),
    loginLimiter: new LoginRateLimiter(loginBudgetsFrom(config)),
    socketTickets: new SocketTicketStore(),
    metrics: new HttpMetrics(database),
  };
  app.decorate('deps', deps);
  app.decorateRequest('principal', null);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  registerJsonBodyParser(app as unknown as FastifyInstance);
  await registerSecurityHeaders(app as unknown as FastifyInstance);
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Semantik API', version: '2.0.0', description: 'Private, self-hosted semantic search. See docs/api.md.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Access token (JWT) or API key (smk_…)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // staticCSP: the UI's own policy replaces the global one on its pages, minus
  // upgrade-insecure-requests and with frame-ancestors 'none' like everything else.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/upgrade-insecure-requests;?/, '').replace("frame-ancestors 'self'", "frame-ancestors 'none'"),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024, handleProtocols: chooseSocketProtocol } });

  // One query embedder per model for HTTP search and MCP search alike: USE-lite loads its weights
  // per provider, so two caches would load the model twice in one process.
  const queryEmbedders = cachedEmbedderLookup((model) => createEmbeddingProvider(model));
  app.addHook('onClose', async () => queryEmbedders.close());

  await app.register(healthRoutes, { prefix: '/api' });
  await app.register(authRoutes, { prefix: '/api/auth' });
  await app.register(
    async (v2) => {
      v2.addHook('onRequest', authenticate);
      await v2.register(apiKeyRoutes);
      await v2.register(collectionRoutes);
      await v2.register(documentRoutes);
      await v2.register(operationRoutes);
      await v2.register(searchRoutes, { embedders: queryEmbedders });
      await v2.register(socketTicketRoutes);
      await v2.register(userAdminRoutes);
      await v2.register(systemStatusRoutes);
    },
    { prefix: '/api/v2' },
  );
  await app.register(
    async (legacy) => {
      legacy.addHook('onRequest', authenticate);
      await legacy.register(modelRoutes);
      await legacy.register(settingsStatsRoutes);
    },
    { prefix: '/api' },
  );
  await app.register(operationSocketRoutes);
  await app.register(directoryScanRoutes);
  await app.register(mcpRoutes, { embedders: queryEmbedders });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('Content-Type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  const webRoot = options.webRoot === undefined ? defaultWebRoot() : options.webRoot;
  if (webRoot) {
    // wildcard:false registers one route per built file; client-side routes fall back below.
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (webRoot && request.method === 'GET' && !API_OR_SOCKET.test(pathname)) {
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    return reply.code(404).send({ detail: `No route ${request.method} ${pathname}`, code: 'not_found' });
  });

  return app;
}
