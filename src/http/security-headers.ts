import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer, through @fastify/helmet (a well-kept plugin, not hand-set
 * headers). The policy is the web UI's real needs and nothing more:
 * - scripts, styles, fonts, XHR/WebSocket only from our origin (`'self'` covers same-origin ws:/wss:);
 * - `blob:` frames and images: the document viewer shows a PDF fetched with the auth header from an
 *   object URL (an <iframe src> to the API could not send the token);
 * - `frame-ancestors 'none'` (and X-Frame-Options DENY for old browsers): nobody frames the app to
 *   click-jack a delete;
 * - no `upgrade-insecure-requests` (helmet's default): a team on a LAN often serves plain HTTP, and the
 *   directive would make the browser rewrite every asset URL to an https:// nobody answers;
 * - no HSTS: whether this origin is HTTPS-only is the reverse proxy's decision (docs/security.md).
 * Routes that need a stricter policy set their own (document content: `sandbox`); the Swagger UI sets
 * its own hash-based policy for its inline bootstrap script (`staticCSP`).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  frameSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  upgradeInsecureRequests: null,
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
}
