export interface PageRequest {
  page: number;
  perPage: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  perPage: number;
}

export type SortOrder = 'asc' | 'desc';

export function offsetOf({ page, perPage }: PageRequest): number {
  return (page - 1) * perPage;
}

/**
 * Narrows a caller-supplied sort field to an allow-listed column name. The HTTP layer validates
 * first (422); this is the last line of defence so a column name can never come from user text.
 */
export function allowListed<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}
