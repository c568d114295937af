import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';

/**
 * A word in more chunks than this does not select keyword candidates on its own. Ranking reads each
 * matching row's tsvector: 2,015 rows took 16 ms with ts_rank_cd and 2.6 ms to merely count on the
 * bench machine while `tsv` was stored out of line (~6–8 µs a row was detoasting; migration
 * 20261130T1000 keeps it in the row, about halving that), so 500 rows per word ≈ 2–4 ms. It is a cost cap,
 * independent of corpus size: in a 5,000-chunk corpus a word in 500 chunks has a low IDF anyway.
 */
export const MAX_ROWS_PER_MATCH_TERM = 500;

/** pg_stats changes when autovacuum analyzes the table; ten minutes old is fresh enough. */
const REFRESH_MS = 10 * 60_000;

/**
 * The lexemes of `chunks.tsv` estimated to occur in more than MAX_ROWS_PER_MATCH_TERM chunks, read
 * from the planner's statistics (ANALYZE keeps the most common elements of a tsvector column with
 * their frequencies), cached per process. Reading pg_stats costs ~1–10 ms of planning, so it is not
 * done per query. Without statistics (a fresh or embedded database), the list is empty and every
 * query word selects candidates.
 */
export class KeywordTermStats {
  private cached: { at: number; lexemes: string[] } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async commonLexemes(tx: Tx): Promise<string[]> {
    if (this.cached && this.now() - this.cached.at < REFRESH_MS) return this.cached.lexemes;
    const { rows } = await sql<{ lexeme: string }>`
      SELECT e.lexeme
      FROM pg_stats s
      JOIN pg_class cl ON cl.oid = to_regclass('chunks')
      CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(lexeme, freq)
      WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'tsv'
        AND e.lexeme IS NOT NULL AND e.freq * cl.reltuples > ${MAX_ROWS_PER_MATCH_TERM}`.execute(tx);
    this.cached = { at: this.now(), lexemes: rows.map((r) => r.lexeme) };
    return this.cached.lexemes;
  }
}
