import { z } from 'zod';

/**
 * Any 8-4-4-4-12 hex id (z.guid, not z.uuid: ids migrated from old installs need not carry an RFC
 * version nibble). A malformed id never reaches SQL — the error mapper answers 404 for path params.
 */
export const idSchema = z.guid();
export const idParams = z.object({ id: idSchema });

/** `page ≥ 1`, `per_page` 1..100 (default 50); anything else is 422, never clamped silently. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(50),
};

/** Comma-separated enum list in a query string (`status=pending,processing`). */
export function csvEnum<T extends string>(values: readonly [T, ...T[]]) {
  return z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));
}
