import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Deepest JSON nesting a request body may have. The deepest body the API defines is a search filter
 * (~5 levels); 64 leaves room for any client's metadata. Without a cap, a 1 MB body of `[[[[…` nested
 * 100,000 deep parsed fine and then overflowed the stack in validation: a 500 (RangeError) for input.
 */
export const MAX_JSON_DEPTH = 64;

class JsonTooDeepError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_INVALID_JSON_DEPTH';
}

/** Nesting depth of a JSON text, counted in one pass over it (brackets inside strings ignored). */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Replaces the JSON body parser with Fastify's own (secure-json-parse: `__proto__` and
 * `constructor.prototype` keys refused) behind a depth check, so a hostile body is a 400 at the edge.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const defaultParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
      done(new JsonTooDeepError(`Request body JSON is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    defaultParser(request, text, done);
  });
}
