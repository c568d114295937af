import type { FastifyPluginAsync } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { authenticate } from '../http/auth.hook.js';
import type { QueryEmbedderLookup } from '../search/query-embedder.js';
import { createMcpServer } from './mcp.server.js';

export interface McpRouteOptions {
  /** The app's query embedders (one per model, shared with HTTP search; closed with the app). */
  embedders: QueryEmbedderLookup;
}

const METHOD_NOT_ALLOWED = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'This MCP endpoint is stateless: send JSON-RPC requests with POST /mcp (no sessions, no server-sent stream)' },
  id: null,
};

/**
 * `POST /mcp`: the MCP Streamable HTTP transport, stateless (one server and transport per request,
 * answered as JSON). Authentication is the API's own hook (API key as `Bearer` or `X-API-Key`, or
 * an access token), so a revoked key or ended session is refused on its next request; the tools
 * are read-only, so a read-only key may call them.
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteOptions> = async (app, options) => {
  const deps = { database: app.deps.database, logger: app.deps.logger, embedders: options.embedders };
  app.addHook('onRequest', authenticate);

  app.post('/mcp', { config: { readOnly: true }, schema: { hide: true } }, async (request, reply) => {
    if (!request.principal) throw new UnauthorizedError();
    // The SDK would run a batch of up to 100 tool calls at once: 100 searches from one request,
    // where the HTTP API runs one. MCP removed batching in protocol 2025-06-18 and the SDK's
    // clients never batch, so one message per request costs legitimate clients nothing.
    if (Array.isArray(request.body) && request.body.length > 1) {
      return reply.code(400).send({ jsonrpc: '2.0', error: { code: -32600, message: 'JSON-RPC batches are not accepted: send one message per request' }, id: null });
    }
    const server = createMcpServer(deps, request.principal);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    // The transport writes the response itself; Fastify must not send one too (so its onSend
    // headers are not added: the ones that matter for a JSON answer are set here).
    reply.hijack();
    reply.raw.setHeader('X-Request-Id', request.id);
    reply.raw.setHeader('X-Content-Type-Options', 'nosniff');
    reply.raw.setHeader('Cache-Control', 'no-store');
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (err) {
      request.log.error({ err }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: `Internal error (request id ${request.id})` }, id: null }));
      }
    }
  });

  const notAllowed = { schema: { hide: true } };
  app.get('/mcp', notAllowed, async (_request, reply) => reply.code(405).header('Allow', 'POST').send(METHOD_NOT_ALLOWED));
  app.delete('/mcp', notAllowed, async (_request, reply) => reply.code(405).header('Allow', 'POST').send(METHOD_NOT_ALLOWED));
};
