import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../db/schema.js';
import { idSchema, pageQuery } from '../http/request-schemas.js';
import { uow } from '../http/unit-of-work.hook.js';
import { allowedDocumentRoots } from '../users/user-document-roots.js';
import { toDocumentJson } from './document.mapper.js';
import { documentListResponse } from './document.response-schema.js';
import { getReadableDocument, listDocuments, openDocumentForServing } from './document.service.js';

/** Types a browser would execute as active content on our origin; served sandboxed. */
const ACTIVE_CONTENT = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml)/i;

/** `/api/v2/collections/{id}/documents…` (registered under the authenticated /api/v2 scope). */
export const documentRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['documents'];

  r.get(
    '/collections/:id/documents',
    {
      schema: {
        tags,
        summary: "A collection's documents, newest first",
        params: z.object({ id: idSchema }),
        querystring: z.object({ ...pageQuery, status: z.enum(DOCUMENT_STATUSES as [DocumentStatus, ...DocumentStatus[]]).optional() }),
        response: { 200: documentListResponse },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await uow(request, ({ repos, principal }) => listDocuments(repos, principal, request.params.id, { page: q.page, perPage: q.per_page, status: q.status }), {
        readOnly: true,
      });
      return { documents: page.items.map((row) => toDocumentJson(row, page.sourcePaths)), total: page.total, page: page.page, per_page: page.perPage };
    },
  );

  r.get(
    '/collections/:id/documents/:doc_id/content',
    { schema: { tags, summary: 'The original file bytes with their Content-Type', params: z.object({ id: idSchema, doc_id: idSchema }) } },
    async (request, reply) => {
      const { document, owner } = await uow(request, ({ repos, principal }) => getReadableDocument(repos, principal, request.params.id, request.params.doc_id), {
        readOnly: true,
      });
      // The transaction is closed before any file I/O: streaming a large file must not pin a connection.
      // The owner's roots, not the global ones: revoking an owner's folder stops its files being served.
      const { config } = request.server.deps;
      const file = await openDocumentForServing(document, await allowedDocumentRoots(owner, config), { allowDotPaths: config.allowDotPaths });
      reply.header('Content-Type', file.mimeType);
      reply.header('Content-Length', String(file.size));
      reply.header('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(document.file_name)}`);
      reply.header('X-Content-Type-Options', 'nosniff');
      // An indexed HTML/SVG file must not run scripts with the app's origin (and its tokens).
      if (ACTIVE_CONTENT.test(file.mimeType)) reply.header('Content-Security-Policy', "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'");
      if (file.size === 0) {
        await file.opened.handle.close();
        return reply.send('');
      }
      // From the checked descriptor, bounded by its fstat size so Content-Length stays true if the
      // file grows; the stream closes the handle at the end or when the client goes away.
      return reply.send(file.opened.handle.createReadStream({ start: 0, end: file.size - 1 }));
    },
  );
};
