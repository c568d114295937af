import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authenticate } from '../http/auth.hook.js';
import { publicUow, uow } from '../http/unit-of-work.hook.js';
import { createUser, toUserJson } from '../users/user.service.js';
import { login, logout, refresh } from './auth.service.js';
import { hashPassword } from './password.hasher.js';

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

/** `/api/auth/*`: register, login, refresh, logout, me. */
export const authRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  r.post('/register', { schema: { tags, summary: 'Create an account (the first one becomes superuser)', body: registerBody } }, async (request, reply) => {
    const body = request.body;
    const hashedPassword = await hashPassword(body.password);
    const user = await publicUow(request, ({ repos }) =>
      createUser(repos, { username: body.username, email: body.email, fullName: body.full_name ?? null, hashedPassword }),
    );
    return reply.code(201).send(toUserJson(user));
  });

  r.post('/login', { schema: { tags, summary: 'Exchange username and password for tokens', body: loginBody } }, async (request) => {
    const { deps } = request.server;
    deps.loginLimiter.hit(request.body.username, request.ip);
    const tokens = await login(deps.database, deps.tokens, request.body.username, request.body.password);
    deps.loginLimiter.succeeded(request.ip);
    return tokens;
  });

  r.post('/refresh', { schema: { tags, summary: 'Rotate a refresh token into a new token pair', body: refreshBody } }, async (request) => {
    const { deps } = request.server;
    return refresh(deps.database, deps.tokens, request.body.refresh_token);
  });

  r.post('/logout', { onRequest: authenticate, schema: { tags, summary: 'End the session: revoke the refresh token; its access tokens stop working', body: refreshBody } }, async (request) => {
    await uow(request, ({ repos, principal }) => logout(repos, principal, request.body.refresh_token));
    return { message: 'Logged out' };
  });

  r.get('/me', { onRequest: authenticate, schema: { tags, summary: 'The signed-in user' } }, async (request) => toUserJson(request.principal!.user));
};
