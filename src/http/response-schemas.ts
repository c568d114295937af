import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Building blocks of the response schemas. Each feature declares its answers next to its mapper
 * (`collection.response-schema.ts`, …); the routes put them under `schema.response`, so the
 * OpenAPI document at `/api/docs/json` describes answers as well as requests, and the web's types
 * are generated from it (`npm run gen:api-types`, web/src/api/generated/openapi.d.ts).
 *
 * Fastify serializes a reply through its status code's schema, and a zod object drops keys it does
 * not declare: a field a mapper adds must be added here too, or clients never see it. The test app
 * fails such a reply instead of dropping silently (response-serializer.ts).
 */

/** An enum from one of the schema's `readonly` value lists (`COLLECTION_STATUSES`, …). */
export function enumOf<T extends string>(values: readonly T[]) {
  return z.enum(values as [T, ...T[]]);
}

/** A timestamp as the mappers write it (`Date#toISOString()`). */
export const timestamp = z.string().meta({ format: 'date-time' });

/** A free-form JSON object (collection metadata, operation config and result). */
export const jsonObject = z.record(z.string(), z.unknown());

/** The paging envelope around a list: `{<items>, total, page, per_page}`. */
export function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.object({ [key]: z.array(item), total: z.number().int(), page: z.number().int(), per_page: z.number().int() } as {
    [P in K]: z.ZodArray<T>;
  } & { total: z.ZodNumber; page: z.ZodNumber; per_page: z.ZodNumber });
}



/** A 204: `reply.code(204).send()` sends no body (Fastify serializes nothing for `undefined`). */
export const noContent = z.undefined().describe('No content');

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * `@fastify/swagger`'s `transformObject`: the schemas with a zod `id` become named components.
 * The zod provider names each twice, as output (`Collection`) and input (`CollectionInput`); these
 * ids are on response schemas only, so the input twins are unused and left out.
 */
export function withResponseComponents(document: Parameters<typeof jsonSchemaTransformObject>[0]): OpenApiDocument {
  const transformed = jsonSchemaTransformObject(document) as OpenApiDocument & { components?: { schemas?: Record<string, unknown> } };
  const schemas: Record<string, unknown> = { ...(transformed.components?.schemas ?? {}) };
  for (const name of Object.keys(schemas)) {
    if (name.endsWith('Input') && name.slice(0, -'Input'.length) in schemas) delete schemas[name];
  }
  return { ...transformed, components: { ...transformed.components, schemas } } as OpenApiDocument;
}
