import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { UnauthorizedError } from '../errors/domain-errors.js';
import { credentialOf } from '../http/auth.hook.js';
import { socketTicketResponse } from './auth.response-schema.js';

/** `POST /api/v2/ws-tickets` (registered under the authenticated /api/v2 scope). */
export const socketTicketRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/ws-tickets',
    {
      // Watching progress is a read: a read-only API key may ask for a ticket.
      config: { readOnly: true },
      schema: {
        tags: ['auth'], summary: 'A single-use ticket (30 s) to open a WebSocket with ?ticket= instead of a token in the URL',
        response: { 201: socketTicketResponse },
      },
    },
    async (request, reply) => {
      // The authenticate hook already resolved this credential; the ticket stands in for it once.
      const credential = credentialOf(request);
      if (!credential) throw new UnauthorizedError();
      const { ticket, expiresInSeconds } = request.server.deps.socketTickets.issue(credential);
      return reply.code(201).send({ ticket, expires_in: expiresInSeconds });
    },
  );
};
