import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';

/**
 * Paths of `sent` (as JSON would carry it) that `serialized` lacks: keys a response schema dropped.
 * Arrays are compared item by item; a value that is not an object on either side ends the walk.
 */
export function droppedFields(sent: unknown, serialized: unknown, at = ''): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(serialized)) return [];
    return sent.flatMap((item, i) => droppedFields(item, serialized[i], `${at}[${i}]`));
  }
  if (!isObject(sent) || !isObject(serialized)) return [];
  return Object.entries(sent).flatMap(([key, value]) => {
    const path = at ? `${at}.${key}` : key;
    if (!(key in serialized)) return [path];
    return droppedFields(value, serialized[key], path);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The zod serializer (a reply is encoded through its status code's response schema, undeclared keys
 * dropped). With `failOnDroppedFields` (the test app) a reply whose schema would drop a field fails
 * with the field's path instead: every route spec then checks that the schema — and so the OpenAPI
 * document and the web's generated types — still lists all that the mapper sends.
 */
export function responseSerializerCompiler(options: { failOnDroppedFields: boolean }): FastifySerializerCompiler<z.ZodType> {
  return (route) => {
    const serialize = serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
    if (!options.failOnDroppedFields) return serialize;
    return (data) => {
      const json = serialize(data);
      // JSON.stringify first: undefined-valued keys are absent from the wire either way.
      const dropped = droppedFields(JSON.parse(JSON.stringify(data) ?? 'null'), JSON.parse(json));
      if (dropped.length > 0) {
        throw new Error(`${route.method} ${route.url} (${route.httpStatus}): the response schema drops ${dropped.join(', ')}; declare them in its *.response-schema.ts`);
      }
      return json;
    };
  };
}
