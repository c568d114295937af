import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { migrationStatus } from '../db/migrator.js';
import { inUnitOfWork } from '../db/unit-of-work.js';

/** `/api/health` (liveness: the process answers) and `/api/health/ready` (database + schema). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const tags = ['health'];
  app.get('/health', { schema: { tags, summary: 'Liveness' } }, async () => ({ status: 'ok' }));

  app.get('/health/ready', { schema: { tags, summary: 'Readiness: database reachable and migrations current' } }, async (request, reply) => {
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
    return { status: 'ready', database: 'ok', migrations: 'current' };
  });
};
