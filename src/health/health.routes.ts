import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sql } from 'kysely';
import { migrationStatus } from '../db/migrator.js';
import { inUnitOfWork } from '../db/unit-of-work.js';

/** `/api/health` (liveness: the process answers) and `/api/health/ready` (database + schema). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['health'];
  r.get('/health', { schema: { tags, summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  const ready = z.object({ status: z.literal('ready'), database: z.literal('ok'), migrations: z.literal('current') });
  const unavailable = z.object({
    status: z.literal('unavailable'),
    database: z.enum(['ok', 'unreachable']),
    migrations: z.literal('pending').optional(),
    detail: z.string(),
    code: z.literal('database_unavailable'),
  });
  const schema = { tags, summary: 'Readiness: database reachable and migrations current', response: { 200: ready, 503: unavailable } };
  r.get('/health/ready', { schema }, async (request, reply) => {
    const { database } = request.server.deps;
    let pending: number;
    // Both probes inside the try: the server can go away between them (seen in
    // test/reliability/postgres-restart.spec.ts: 57P01 on the migration query gave a 500).
    try {
      await inUnitOfWork(database, (tx) => sql`SELECT 1`.execute(tx), { readOnly: true, retries: 0 });
      ({ pending } = await migrationStatus(database.db));
    } catch (err) {
      request.log.warn({ err }, 'readiness: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable', detail: `Database unreachable: ${(err as Error).message}`, code: 'database_unavailable' });
    }
    if (pending > 0) {
      return reply.code(503).send({
        status: 'unavailable',
        database: 'ok',
        migrations: 'pending',
        detail: `${pending} migration(s) pending: run \`semantik db migrate\``,
        code: 'database_unavailable',
      });
    }
    return { status: 'ready', database: 'ok', migrations: 'current' } as const;
  });
};
