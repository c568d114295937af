import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { newPassword, registerBody } from '../auth/auth.routes.js';
import { hashPassword } from '../auth/password.hasher.js';
import { interactiveSessionOnly } from '../auth/session.guard.js';
import { noContent } from '../http/response-schemas.js';
import { uow } from '../http/unit-of-work.hook.js';
import { adminUserListResponse, adminUserResponse } from './user.response-schema.js';
import { checkGrantedDocumentRoots } from './user-document-roots.js';
import { deleteUserAsAdmin, requireSuperuser, resetPasswordAsAdmin, toAdminUserJson, updateUserAsAdmin } from './user-admin.service.js';
import { createUser } from './user.service.js';

// int8 ids: legacy installs' integer ids migrate unchanged. A malformed id is a 404 (error mapper).
const userIdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
// 64 folders is far more than a person needs; the cap keeps one row (and every check) small.
const documentRoots = z.array(z.string().min(1).max(4096)).max(64).nullable();

const createBody = registerBody.extend({ is_superuser: z.boolean().default(false), document_roots: documentRoots.optional() });
const updateBody = z.object({
  email: registerBody.shape.email.optional(),
  full_name: registerBody.shape.full_name,
  is_active: z.boolean().optional(),
  is_superuser: z.boolean().optional(),
  document_roots: documentRoots.optional(),
});
const resetBody = z.object({ new_password: newPassword });

/** `/api/v2/admin/users…`: account administration, superusers only (403 for everyone else). */
export const userAdminRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['admin'];
  // Runs after the /api/v2 authentication hook and before body parsing: no hashing for non-admins.
  app.addHook('onRequest', async (request) => requireSuperuser(request.principal!.user));
  // Even a superuser's API key may not administer accounts: a leaked key must not mint accounts or reset passwords.
  app.addHook('onRequest', interactiveSessionOnly('Administering users'));

  r.get('/admin/users', { schema: { tags, summary: 'Every account, with its document roots', response: { 200: adminUserListResponse } } }, async (request) => {
    const rows = await uow(request, ({ repos }) => repos.users.list(), { readOnly: true });
    return { users: rows.map(toAdminUserJson) };
  });

  r.post('/admin/users', { schema: { tags, summary: 'Create an account (registration may be closed)', body: createBody, response: { 201: adminUserResponse } } }, async (request, reply) => {
    const body = request.body;
    const roots = body.document_roots ? checkGrantedDocumentRoots(body.document_roots, request.server.deps.config) : (body.document_roots ?? null);
    const hashedPassword = await hashPassword(body.password);
    const row = await uow(request, ({ repos }) =>
      createUser(repos, {
        username: body.username,
        email: body.email,
        fullName: body.full_name ?? null,
        hashedPassword,
        superuser: body.is_superuser,
        documentRoots: roots,
      }),
    );
    return reply.code(201).send(toAdminUserJson(row));
  });

  r.patch(
    '/admin/users/:id',
    { schema: { tags, summary: 'Enable/disable (revokes sessions and API keys), promote/demote, set document roots, email, name', params: userIdParams, body: updateBody, response: { 200: adminUserResponse } } },
    async (request) => {
      const body = request.body;
      const roots = body.document_roots ? checkGrantedDocumentRoots(body.document_roots, request.server.deps.config) : body.document_roots;
      const row = await uow(request, ({ repos }) =>
        updateUserAsAdmin(repos, request.params.id, {
          email: body.email,
          fullName: body.full_name,
          isActive: body.is_active,
          isSuperuser: body.is_superuser,
          documentRoots: roots,
        }),
      );
      return toAdminUserJson(row);
    },
  );

  r.post(
    '/admin/users/:id/password',
    { schema: { tags, summary: "Reset a user's password (revokes their refresh tokens)", params: userIdParams, body: resetBody, response: { 204: noContent } } },
    async (request, reply) => {
      const hashedPassword = await hashPassword(request.body.new_password);
      await uow(request, ({ repos }) => resetPasswordAsAdmin(repos, request.params.id, hashedPassword));
      return reply.code(204).send();
    },
  );

  r.delete(
    '/admin/users/:id',
    { schema: { tags, summary: 'Delete an account that owns no collections (409 lists them otherwise)', params: userIdParams, response: { 204: noContent } } },
    async (request, reply) => {
      await uow(request, ({ repos }) => deleteUserAsAdmin(repos, request.params.id));
      return reply.code(204).send();
    },
  );
};
