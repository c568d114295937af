import { type Kysely, sql } from 'kysely';

/**
 * Frozen: keep a chunk row's `tsv` inline. With the default TOAST target (~2 KB) a chunk of ~1,000
 * characters plus its tsvector (~1.2–1.7 KB) is over the limit, pglz cannot shrink it enough, and the
 * tsvector goes out of line — so ranking a keyword match (ts_rank_cd reads `tsv`) fetched it from the
 * TOAST table, ~6–8 µs a row and most of keyword search's time (docs/search.md). With a 4,080-byte
 * target typical rows stay whole in the heap: on 30,000 synthetic chunks, 300 one-word keyword
 * queries took 3.0–3.1 s instead of 6.5–6.7 s (p95 31 ms instead of 46–50 ms) at the same total table
 * size. Applies to rows written from now on; existing chunks move when their collection is reindexed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE chunks SET (toast_tuple_target = 4080)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE chunks RESET (toast_tuple_target)`.execute(db);
}
