import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { interactiveSessionOnly } from '../auth/session.guard.js';
import { noContent } from '../http/response-schemas.js';
import { uow } from '../http/unit-of-work.hook.js';
import { apiKeyListResponse, apiKeyResponse, createdApiKeyResponse } from './api-key.response-schema.js';
import { MAX_KEY_COLLECTIONS } from './api-key.scope.js';
import { createApiKey, revokeApiKey, setApiKeyActive, toApiKeyJson } from './api-key.service.js';

const createBody = z.object({
  name: z.string().trim().min(1).max(100),
  expires_in_days: z.number().int().min(1).max(3650).nullish(),
  /** `full` (default, as in the contract) acts as the user; `read` may only read and search. */
  scope: z.enum(['full', 'read']).default('full'),
  /** Only these collections (each one the creator can read); omitted or null: all the user's. */
  collection_ids: z.array(z.uuid()).min(1).max(MAX_KEY_COLLECTIONS).nullish(),
});

/**
 * `/api/v2/api-keys` (registered under the authenticated /api/v2 scope). Managing keys needs a
 * signed-in session: a key that could mint keys would outlive its own revocation.
 */
export const apiKeyRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', interactiveSessionOnly('Managing API keys (create, list, revoke)'));
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['api-keys'];

  r.post('/api-keys', { schema: { tags, summary: 'Create an API key (the key is shown only in this answer)', body: createBody, response: { 201: createdApiKeyResponse } } }, async (request, reply) => {
    const body = request.body;
    const created = await uow(request, ({ repos, principal }) =>
      createApiKey(repos, principal, { name: body.name, expiresInDays: body.expires_in_days, access: body.scope, collectionIds: body.collection_ids }),
    );
    // `api_key`: the newest original UI's name for the secret; `key`: the contract's (our UI reads it).
    return reply.code(201).send({ ...toApiKeyJson(created.row), key: created.key, api_key: created.key });
  });

  r.get('/api-keys', { schema: { tags, summary: "List the caller's API keys (without the keys)", response: { 200: apiKeyListResponse } } }, async (request) => {
    const rows = await uow(request, ({ repos, principal }) => repos.apiKeys.listByUser(principal.user.id), { readOnly: true });
    return { api_keys: rows.map(toApiKeyJson), total: rows.length };
  });

  r.patch(
    '/api-keys/:id',
    {
      schema: {
        tags,
        summary: 'Deactivate an API key ({is_active: false}); a deactivated key cannot be turned back on (409)',
        params: z.object({ id: z.uuid() }),
        body: z.object({ is_active: z.boolean() }),
        response: { 200: apiKeyResponse },
      },
    },
    async (request) => {
      const row = await uow(request, ({ repos, principal }) => setApiKeyActive(repos, principal.user.id, request.params.id, request.body.is_active));
      return toApiKeyJson(row);
    },
  );

  r.delete(
    '/api-keys/:id',
    { schema: { tags, summary: 'Revoke an API key (effective on the next request)', params: z.object({ id: z.uuid() }), response: { 204: noContent } } },
    async (request, reply) => {
      await uow(request, ({ repos, principal }) => revokeApiKey(repos, principal.user.id, request.params.id));
      return reply.code(204).send();
    },
  );
};
