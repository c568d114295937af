import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authenticate } from '../http/auth.hook.js';
import { noContent } from '../http/response-schemas.js';
import { publicUow, uow } from '../http/unit-of-work.hook.js';
import { ValidationError } from '../errors/domain-errors.js';
import { changeOwnPassword } from '../users/user-admin.service.js';
import { userResponse } from '../users/user.response-schema.js';
import { registerSelf, registrationStatus, toUserJson } from '../users/user.service.js';
import { logoutResponse, registrationStatusResponse, tokenPairResponse } from './auth.response-schema.js';
import { login, logout, refresh } from './auth.service.js';
import { hashPassword, verifyPassword } from './password.hasher.js';
import { requireInteractiveSession } from './session.guard.js';

export const registerBody = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[\w.@-]+$/, 'letters, digits and _ . @ - only'),
  email: z.email().max(254),
  // 8 minimum (NIST SP 800-63B); 1024 maximum so a huge body cannot buy a long hash.
  password: z.string().min(8).max(1024),
  full_name: z.string().trim().max(200).nullish(),
});

const loginBody = z.object({ username: z.string().min(1).max(254), password: z.string().min(1).max(1024) });
const refreshBody = z.object({ refresh_token: z.string().min(1).max(512) });
export const newPassword = registerBody.shape.password;
const passwordChangeBody = z.object({ current_password: z.string().min(1).max(1024), new_password: newPassword });

/** `/api/auth/*`: registration status, register, login, refresh, logout, me, password. */
export const authRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  r.get('/registration', { schema: { tags, summary: 'Whether self-service sign-up is open (always for the first account)', response: { 200: registrationStatusResponse } } }, async (request) =>
    publicUow(request, ({ repos, deps }) => registrationStatus(repos, deps.config.registration), { readOnly: true }),
  );

  r.post(
    '/register',
    {
      schema: {
        tags,
        summary: 'Create an account: the first one (superuser) always, others only with SEMANTIK_REGISTRATION=open',
        body: registerBody,
        response: { 201: userResponse },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const hashedPassword = await hashPassword(body.password);
      const user = await publicUow(request, ({ repos, deps }) =>
        registerSelf(repos, { username: body.username, email: body.email, fullName: body.full_name ?? null, hashedPassword }, deps.config.registration),
      );
      return reply.code(201).send(toUserJson(user));
    },
  );

  r.post('/login', { schema: { tags, summary: 'Exchange username and password for tokens', body: loginBody, response: { 200: tokenPairResponse } } }, async (request) => {
    const { deps } = request.server;
    deps.loginLimiter.hit(request.body.username, request.ip);
    const tokens = await login(deps.database, deps.tokens, request.body.username, request.body.password);
    deps.loginLimiter.succeeded(request.ip);
    return tokens;
  });

  r.post('/refresh', { schema: { tags, summary: 'Rotate a refresh token into a new token pair', body: refreshBody, response: { 200: tokenPairResponse } } }, async (request) => {
    const { deps } = request.server;
    return refresh(deps.database, deps.tokens, request.body.refresh_token);
  });

  r.post('/logout', { onRequest: authenticate, schema: { tags, summary: 'End the session: revoke the refresh token; its access tokens stop working', body: refreshBody, response: { 200: logoutResponse } } }, async (request) => {
    await uow(request, ({ repos, principal }) => logout(repos, principal, request.body.refresh_token));
    return { message: 'Logged out' };
  });

  r.post(
    '/password',
    { onRequest: authenticate, schema: { tags, summary: "Change the signed-in user's password (signs out every session)", body: passwordChangeBody, response: { 204: noContent } } },
    async (request, reply) => {
      const { user } = requireInteractiveSession(request.principal, 'Changing the password');
      // The same budget as login: a stolen access token must not buy unlimited guesses of the password.
      request.server.deps.loginLimiter.hit(user.username, request.ip);
      // Verified and hashed outside the transaction (~25 ms each).
      if (!(await verifyPassword(user.hashed_password, request.body.current_password))) {
        throw new ValidationError('current_password is not your current password', { field: 'current_password' });
      }
      const hashedPassword = await hashPassword(request.body.new_password);
      await uow(request, ({ repos }) => changeOwnPassword(repos, user.id, hashedPassword));
      return reply.code(204).send();
    },
  );

  r.get('/me', { onRequest: authenticate, schema: { tags, summary: 'The signed-in user', response: { 200: userResponse } } }, async (request) => toUserJson(request.principal!.user));
};
