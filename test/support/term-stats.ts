import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.js';

/**
 * Differences between the BM25 statistics the triggers keep (chunk_term_stats, chunk_text_stats) and
 * a recount from the chunks themselves; [] when they are exact.
 */
export async function termStatsDrift(db: Kysely<DB>): Promise<string[]> {
  const terms = await sql<{ key: string; kept: number | null; counted: number | null }>`
    WITH counted AS (
      SELECT c.collection_id, c.generation, l.lexeme, count(*)::int AS n
      FROM chunks c CROSS JOIN LATERAL unnest(tsvector_to_array(c.tsv)) AS l(lexeme) GROUP BY 1, 2, 3)
    SELECT concat_ws('/', coalesce(k.collection_id, n.collection_id), coalesce(k.generation, n.generation), coalesce(k.lexeme, n.lexeme)) AS key,
           k.chunk_count AS kept, n.n AS counted
    FROM chunk_term_stats k FULL JOIN counted n USING (collection_id, generation, lexeme)
    WHERE k.chunk_count IS DISTINCT FROM n.n
    LIMIT 20`.execute(db);
  const totals = await sql<{ key: string; kept: string | null; counted: string | null }>`
    WITH counted AS (
      SELECT collection_id, generation, count(*)::bigint AS n, sum(length(tsv))::bigint AS len FROM chunks GROUP BY 1, 2)
    SELECT concat_ws('/', coalesce(k.collection_id, n.collection_id), coalesce(k.generation, n.generation)) AS key,
           concat_ws(':', k.chunk_count, k.total_length) AS kept, concat_ws(':', n.n, n.len) AS counted
    FROM chunk_text_stats k FULL JOIN counted n USING (collection_id, generation)
    WHERE k.chunk_count IS DISTINCT FROM n.n OR k.total_length IS DISTINCT FROM n.len`.execute(db);
  return [...terms.rows, ...totals.rows].map((r) => `${r.key}: kept ${r.kept ?? 'none'}, counted ${r.counted ?? 'none'}`);
}
