import type {} from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../errors/domain-errors.js';
import { authenticate } from '../http/auth.hook.js';
import { authenticateSocket, socketGate, type SocketAuthQuery } from '../http/socket-auth.js';
import { globListSchema } from '../indexing/job-payloads.js';
import { requireDocumentRoots } from '../users/user-document-roots.js';
import { DirectoryScanHub, isFinalScanMessage } from './directory-scan.hub.js';
import { directoryScanPreviewResponse } from './directory-scan.response-schema.js';
import { previewDirectory, type DirectoryScanMessage } from './directory-scan.service.js';

/** The original UI's ids: a UUID, or `scan-<hex>-<hex>` from its fallback generator. */
const scanIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'scan_id must be 1-100 letters, digits, "-" or "_"');

/** The original UI sends `{path, scan_id, recursive: true}`; include/exclude as the sources API's config. */
const previewBody = z.object({
  path: z.string().min(1).max(4096),
  scan_id: scanIdSchema,
  recursive: z.boolean().default(true),
  include_patterns: globListSchema.nullish(),
  exclude_patterns: globListSchema.nullish(),
});

/** A socket with no scan to report is closed after this long (the UI opens it with its POST). */
const SOCKET_IDLE_MS = 60_000;

interface ScanSocketRequest {
  Params: { scanId: string };
  Querystring: SocketAuthQuery;
}

/**
 * `POST /api/v2/directory-scan/preview` and `WS /ws/directory-scan/{scan_id}` (the original web
 * UI's folder scan, docs/api.md). The POST scans and answers the whole result (the v2-release UI
 * reads only that answer); while it runs, the user's sockets for that scan_id get `started`,
 * `progress`, `warning`, then `completed` or `error`, and are closed (1000).
 */
export const directoryScanRoutes: FastifyPluginAsync = async (app) => {
  const hub = new DirectoryScanHub();
  const { deps } = app;

  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/v2/directory-scan/preview',
    {
      onRequest: authenticate,
      // Changes nothing: a read-only API key may preview.
      config: { readOnly: true },
      schema: {
        tags: ['directory-scan'],
        summary: 'Count the files (and size) indexing a folder inside your document roots would take, without adding it',
        body: previewBody,
        response: { 200: directoryScanPreviewResponse },
      },
    },
    async (request, reply) => {
      const { user } = request.principal!;
      const body = request.body;
      const slot = hub.start(user.id, body.scan_id);
      const clientGone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) clientGone.abort();
      };
      reply.raw.on('close', onClose);
      try {
        // The caller's roots, exactly as for adding a source (src/users/user-document-roots.ts).
        const roots = await requireDocumentRoots(user, deps.config);
        return await previewDirectory(
          { path: body.path, scanId: body.scan_id, recursive: body.recursive, include: body.include_patterns ?? [], exclude: body.exclude_patterns ?? [] },
          {
            roots,
            pathOptions: { allowDotPaths: deps.config.allowDotPaths, revealDetails: user.is_superuser },
            maxFileSizeBytes: deps.config.maxFileSizeBytes,
            signal: clientGone.signal,
          },
          slot.publish,
        );
      } catch (err) {
        // Domain errors say what to fix and reveal no more than the HTTP answer does.
        const message = err instanceof DomainError ? err.message : 'Scan failed';
        slot.publish({ type: 'error', scan_id: body.scan_id, data: { message } });
        throw err;
      } finally {
        reply.raw.off('close', onClose);
        slot.release();
      }
    },
  );

  app.get<ScanSocketRequest>(
    '/ws/directory-scan/:scanId',
    {
      websocket: true,
      schema: { hide: true } as Record<string, unknown>,
      // As /ws/operations: authentication before the upgrade (plain HTTP 401).
      preValidation: socketGate<FastifyRequest<ScanSocketRequest>>(
        (request) => scanIdSchema.safeParse(request.params.scanId).success,
        'Directory scan not found',
        (request) => authenticateSocket(deps, request),
      ),
    },
    (socket, request) => {
      let closed = false;
      let idle: NodeJS.Timeout | undefined;
      const close = (reason: string) => {
        if (closed) return;
        closed = true;
        clearTimeout(idle);
        watcher.stop();
        socket.close(1000, reason);
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => close('no directory scan with this id'), SOCKET_IDLE_MS);
        idle.unref();
      };
      const send = (message: DirectoryScanMessage) => {
        if (closed) return;
        socket.send(JSON.stringify(message));
        if (isFinalScanMessage(message)) close('scan ended');
        else armIdle();
      };
      const watcher = hub.watch(request.principal!.user.id, request.params.scanId, send);
      socket.on('message', (data: Buffer) => {
        // The original answered `{"type":"ping"}` with a pong; its UI may send them. (≤ 64 KiB: maxPayload.)
        if (isPing(data)) socket.send(JSON.stringify({ type: 'pong' }));
      });
      socket.on('close', () => {
        closed = true;
        clearTimeout(idle);
        watcher.stop();
      });
      socket.on('error', (err: Error) => request.log.debug({ err }, 'directory scan socket error'));
      armIdle();
      if (watcher.last) send(watcher.last);
    },
  );
};

function isPing(data: Buffer): boolean {
  try {
    return (JSON.parse(data.toString()) as { type?: unknown } | null)?.type === 'ping';
  } catch {
    return false;
  }
}
