import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { UnauthorizedError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { QueryEmbedderLookup } from './query-embedder.js';
import { searchRequestSchema, searchResponseSchema, singleSearchRequestSchema, type SearchRequest } from './search.schema.js';
import { search, type SearchPrincipal } from './search.service.js';

export interface SearchRouteOptions {
  /** The app's query embedders (one per model, shared with MCP search; closed with the app). */
  embedders: QueryEmbedderLookup;
}

/**
 * `POST /api/v2/search` and `/api/v2/search/single` (registered under the authenticated /api/v2
 * scope). Unlike other routes these do not run inside the request unit of work (`uow`): the query
 * must be embedded with no transaction open, so the service opens its own short read-only ones
 * around the embedding (see search.service.ts).
 */
export const searchRoutes: FastifyPluginAsync<SearchRouteOptions> = async (app, options) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['search'];
  const deps = { embedders: options.embedders };

  const principalOf = (request: { principal: Principal | null }): SearchPrincipal => {
    if (!request.principal) throw new UnauthorizedError();
    const { user, apiKeyId, apiKeyScope } = request.principal;
    return { id: user.id, is_superuser: user.is_superuser, apiKeyId, apiKeyScope };
  };
  // Search changes nothing: a read-only API key may call these POSTs (api-key.scope.ts).
  const config = { readOnly: true };

  r.post(
    '/search',
    {
      config,
      schema: {
        tags,
        summary: 'Search 1–10 collections (semantic, keyword or hybrid); best chunk per document first',
        body: searchRequestSchema,
        response: { 200: searchResponseSchema },
      },
    },
    async (request) => search(app.deps.database, principalOf(request), request.body, deps),
  );

  r.post(
    '/search/single',
    { config, schema: { tags, summary: 'Search one collection', body: singleSearchRequestSchema, response: { 200: searchResponseSchema } } },
    async (request) => {
      const { collection_id, ...rest } = request.body;
      const body: SearchRequest = { ...rest, collection_uuids: [collection_id] };
      return search(app.deps.database, principalOf(request), body, deps);
    },
  );
};
