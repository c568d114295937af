import { sql, type RawBuilder } from 'kysely';
import type { CompiledFilter } from './search-filters.js';

/** `chunks.tsv` is generated with 'english'; the query goes through the very same configuration. */
export const TEXT_SEARCH_CONFIG = sql`'english'::regconfig`;

/**
 * BM25F parameters (Robertson & Zaragoza 2009). k1 = 1.2 is the published default; b = 0.5 (default
 * 0.75) because chunks are already of similar length: b 0.3–0.5 gave +0.005–0.012 MRR@10 on both
 * eval corpora, 0.9 lost 0.003–0.02. fieldWeight multiplies a term's occurrences in the chunk's
 * context field (title, heading path, file name): 2–3 best, 1 (no field) −0.01–0.02. Sweep in
 * bench/reports/search-eval.md (`npm run eval:search -- --sweep`).
 */
export const BM25: Bm25Parameters = { k1: 1.2, b: 0.5, fieldWeight: 3 };

export interface Bm25Parameters {
  k1: number;
  b: number;
  fieldWeight: number;
}

/**
 * A lexeme in more chunks than this does not select keyword candidates on its own (it still counts
 * in the score). Scoring reads each candidate's tsvector (~5–10 µs a row), and one word in 7,500 of
 * 100k chunks made a query take 167 ms; a word that common has a low IDF, so the chunks it alone
 * adds would rank last anyway. When every query word is that common, candidates must contain all
 * of them. The document frequency is exact (chunk_term_stats), so both backends select alike.
 */
export const MAX_ROWS_PER_MATCH_TERM = 500;

export type KeywordMatch = 'any' | 'all';

export interface KeywordQuery {
  text: string;
  match: KeywordMatch;
  /** Defaults to MAX_ROWS_PER_MATCH_TERM; tests lower it to see the pruning on a small corpus. */
  matchTermCap?: number;
  /** Defaults to BM25; the eval sweeps them. */
  bm25?: Bm25Parameters;
  /** Defaults to FEEDBACK. */
  feedback?: PseudoRelevanceFeedback;
}

/**
 * Pseudo-relevance feedback (query expansion from the first pass's top chunks): the `terms` lexemes
 * with the highest Robertson offer weight r·idf (r = how many of the top `chunks` hold it, r ≥ 2)
 * join the query with weight `weight` (an original term weighs 1), and a second BM25F pass ranks
 * over the original and the expansion terms. **Off by default**: on the eval (m 5, e 10, β 0.1)
 * keyword MRR@10 rose +0.012 / +0.026, inside the 95 % bootstrap interval of ~70 questions
 * ([−0.03, +0.06]), while the second pass doubled keyword latency (~100 → ~200 ms a query on the
 * eval's 10k chunks). Kept as a knob for `npm run eval:search -- --sweep`.
 */
export interface PseudoRelevanceFeedback {
  chunks: number;
  terms: number;
  weight: number;
}

export const FEEDBACK: PseudoRelevanceFeedback = { chunks: 0, terms: 0, weight: 0 };

/**
 * `websearch_to_tsquery` honours what users type in search boxes ("quoted phrases", -exclusions,
 * `or`), but ANDs plain words, so a natural-language question whose words are not all in one chunk
 * finds nothing. Plain queries therefore match any of their words (BM25 rewards chunks that hold
 * more of them, and rare ones most); queries that use websearch syntax keep it exactly.
 */
export function usesWebsearchSyntax(query: string): boolean {
  return /"|(^|\s)-\S|(^|\s)or(\s|$)/i.test(query);
}

/** A lexeme as a tsquery operand: quoted, so `init.defaultbranch` or `a:b` is one term, never syntax. */
const quotedLexeme = (column: RawBuilder<unknown>) =>
  sql`'''' || replace(replace(${column}, '\\', '\\\\'), '''', '''''') || ''''`;

/**
 * The query's lexemes, as to_tsvector makes them from the query text: the same parser and
 * dictionaries as the documents, so a dotted name, a file name, a version or an e-mail is one lexeme
 * on both sides, and a hyphenated compound gives its whole and its parts on both sides.
 */
export function queryLexemes(text: string): RawBuilder<unknown> {
  return sql`unnest(tsvector_to_array(to_tsvector(${TEXT_SEARCH_CONFIG}, ${text}::text)))`;
}

/** OR of every query lexeme, for ts_headline (snippets mark every query word the chunk holds). */
export function anyLexemeTsquery(text: string): RawBuilder<unknown> {
  return sql`(SELECT string_agg(${quotedLexeme(sql`u.lexeme`)}, ' | ')::tsquery FROM ${queryLexemes(text)} AS u(lexeme))`;
}

export interface KeywordPlan {
  collectionIds: readonly string[];
  depth: number;
  filter: CompiledFilter;
  keyword: KeywordQuery;
}

/**
 * CTEs ending in `keyword (chunk_id, document_id, rank)`: BM25F over the GIN candidates.
 *
 *   score(c) = Σ_t idf(t) · tf'(t,c)·(k1+1) / (tf'(t,c) + k1·(1 − b + b·|c|/avg|c|)) / Σ_t idf(t)·(k1+1)
 *   idf(t)   = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
 *   tf'(t,c) = occurrences in the body + FIELD_WEIGHT × occurrences in the context field
 *
 * N, df and avg|c| are summed over the active generations of the searched collections, so one
 * search over several collections ranks them on one scale; |c| = length(tsv), its distinct
 * lexemes (kept in the tsvector's header, free to read). Dividing by the query's maximum makes the
 * score a fraction in [0, 1): 1 would be every query term saturated in one chunk.
 *
 * With pseudo-relevance feedback on (FEEDBACK), a second pass (keyword_*2) repeats the match and
 * the score with the expansion terms added. The depth is filled with each document's best chunk
 * first (then the rest), so the candidates hold as many distinct documents as the depth allows.
 *
 * tf is read from the chunk's tsvector without unnesting all of it: setweight marks the query's
 * lexemes (binary search) and ts_filter keeps only them (~5 µs a row against ~38 µs for a full
 * unnest on 150-word chunks).
 */
export function keywordCtes(plan: KeywordPlan): RawBuilder<unknown> {
  const { keyword } = plan;
  const cap = sql.lit(Math.max(0, Math.trunc(keyword.matchTermCap ?? MAX_ROWS_PER_MATCH_TERM)));
  const quoted = quotedLexeme(sql`lexeme`);
  const websearch = keyword.match === 'all' || usesWebsearchSyntax(keyword.text);
  const matchQuery = websearch
    ? sql`websearch_to_tsquery(${TEXT_SEARCH_CONFIG}, ${keyword.text}::text)`
    : sql`(CASE
        WHEN bool_or(df <= ${cap}) THEN
          string_agg(${quoted}, ' | ') FILTER (WHERE df <= ${cap})
          || CASE WHEN count(*) FILTER (WHERE df > ${cap}) >= 2
                  THEN ' | (' || string_agg(${quoted}, ' & ') FILTER (WHERE df > ${cap}) || ')' ELSE '' END
        ELSE string_agg(${quoted}, ' & ')
      END)::tsquery`;
  const { k1, b, fieldWeight } = keyword.bm25 ?? BM25;
  const prf = keyword.feedback ?? FEEDBACK;
  const saturated = (tf: RawBuilder<unknown>, lengthRatio: RawBuilder<unknown>, bb: number) =>
    sql`w.qw * w.idf * ${tf} * ${sql.lit(k1 + 1)} / (${tf} + ${sql.lit(k1)} * (${sql.lit(1 - bb)} + ${sql.lit(bb)} * ${lengthRatio}))`;
  const documentFrequency = (lexeme: RawBuilder<unknown>) => sql`(SELECT coalesce(sum(s.chunk_count), 0) FROM chunk_term_stats s
                    JOIN keyword_scope g ON g.collection_id = s.collection_id AND g.generation = s.generation
                    WHERE s.lexeme = ${lexeme})::float8`;
  /** Per candidate chunk (matching the query CTE's tsquery), each query lexeme's tf' (body + field weight × context). */
  const termFrequencies = (query: string) => sql`
      SELECT c.id AS chunk_id, c.document_id, length(c.tsv) AS len, t.lexeme, t.tf
      FROM chunks c
      JOIN collections col ON col.id = c.collection_id AND c.generation = col.active_generation
      ${plan.filter.needsDocuments ? sql`JOIN documents d ON d.id = c.document_id` : sql``}
      LEFT JOIN LATERAL (
        SELECT a.lexeme, cardinality(a.positions) + ${sql.lit(fieldWeight - 1)} * coalesce(cardinality(x.positions), 0) AS tf
        FROM unnest(ts_filter(setweight(c.tsv, 'b', (SELECT lexemes FROM ${sql.table(query)})), '{b}')) a
        LEFT JOIN unnest(ts_filter(setweight(c.context_tsv, 'b', (SELECT lexemes FROM ${sql.table(query)})), '{b}')) x
          ON x.lexeme = a.lexeme) t ON true
      WHERE c.collection_id = ANY(${plan.collectionIds}::uuid[]) AND c.tsv @@ (SELECT q FROM ${sql.table(query)}) AND ${plan.filter.condition}`;
  const chunkScores = (tf: string, weights: string, query: string) => sql`
      SELECT t.chunk_id, t.document_id,
             coalesce(sum(${saturated(sql`t.tf`, sql`t.len / (SELECT avgdl FROM keyword_totals)`, b)}), 0) / (SELECT max_score FROM ${sql.table(query)}) AS rank
      FROM ${sql.table(tf)} t LEFT JOIN ${sql.table(weights)} w ON w.lexeme = t.lexeme
      GROUP BY t.chunk_id, t.document_id`;
  // Plain queries only: OR-ing expansion terms into a websearch query would undo its AND and exclusions.
  const feedbackOn = !websearch && prf.terms > 0 && prf.chunks > 0 && prf.weight > 0;
  return sql`
    keyword_scope AS MATERIALIZED (
      SELECT id AS collection_id, active_generation AS generation FROM collections WHERE id = ANY(${plan.collectionIds}::uuid[])),
    keyword_totals AS MATERIALIZED (
      SELECT coalesce(sum(s.chunk_count), 0)::float8 AS n,
             coalesce(sum(s.total_length)::float8 / nullif(sum(s.chunk_count), 0), 1) AS avgdl
      FROM chunk_text_stats s JOIN keyword_scope g ON g.collection_id = s.collection_id AND g.generation = s.generation),
    keyword_weights AS MATERIALIZED (
      SELECT q.lexeme, q.df, ln(1 + (t.n - q.df + 0.5) / (q.df + 0.5)) AS idf, 1::float8 AS qw
      FROM (SELECT l.lexeme, ${documentFrequency(sql`l.lexeme`)} AS df
            FROM (SELECT DISTINCT u.lexeme FROM ${queryLexemes(keyword.text)} AS u(lexeme)) l) q
      CROSS JOIN keyword_totals t
      WHERE q.df > 0),
    keyword_query AS MATERIALIZED (
      SELECT ${matchQuery} AS q, array_agg(lexeme) AS lexemes, sum(idf) * ${sql.lit(k1 + 1)} AS max_score FROM keyword_weights),
    keyword_tf AS MATERIALIZED (${termFrequencies('keyword_query')}),
    keyword_chunks AS MATERIALIZED (${chunkScores('keyword_tf', 'keyword_weights', 'keyword_query')}),
    ${
      feedbackOn
        ? sql`keyword_feedback_chunks AS MATERIALIZED (
      -- Ties broken by content, not by the random chunk id, so both backends pick the same chunks and terms.
      SELECT k.chunk_id FROM keyword_chunks k JOIN chunks c ON c.id = k.chunk_id
      ORDER BY k.rank DESC, c.text COLLATE "C", k.chunk_id LIMIT ${sql.lit(prf.chunks)}),
    keyword_expansion AS MATERIALIZED (
      SELECT e.lexeme, e.df, ln(1 + (t.n - e.df + 0.5) / (e.df + 0.5)) AS idf, ${sql.lit(prf.weight)}::float8 AS qw
      FROM (SELECT f.lexeme, f.r, ${documentFrequency(sql`f.lexeme`)} AS df
            FROM (SELECT u.lexeme, count(*) AS r
                  FROM keyword_feedback_chunks k JOIN chunks c ON c.id = k.chunk_id CROSS JOIN LATERAL unnest(c.tsv) u
                  WHERE NOT EXISTS (SELECT 1 FROM keyword_weights w WHERE w.lexeme = u.lexeme)
                  GROUP BY u.lexeme HAVING count(*) >= 2) f) e
      CROSS JOIN keyword_totals t
      ORDER BY e.r * ln(1 + (t.n - e.df + 0.5) / (e.df + 0.5)) DESC, e.lexeme COLLATE "C"
      LIMIT ${sql.lit(prf.terms)}),
    keyword_weights2 AS MATERIALIZED (SELECT * FROM keyword_weights UNION ALL SELECT * FROM keyword_expansion),
    keyword_query2 AS MATERIALIZED (
      SELECT (SELECT q FROM keyword_query) || coalesce((SELECT string_agg(${quoted}, ' | ')::tsquery FROM keyword_expansion WHERE df <= ${cap}), (SELECT q FROM keyword_query)) AS q,
             (SELECT array_agg(lexeme) FROM keyword_weights2) AS lexemes,
             (SELECT max_score FROM keyword_query) AS max_score),
    keyword_tf2 AS MATERIALIZED (${termFrequencies('keyword_query2')}),
    keyword_chunks2 AS MATERIALIZED (${chunkScores('keyword_tf2', 'keyword_weights2', 'keyword_query2')}),`
        : sql``
    }
    keyword AS MATERIALIZED (
      SELECT chunk_id, document_id, rank
      FROM (SELECT c.chunk_id, c.document_id, c.rank, max(c.rank) OVER (PARTITION BY c.document_id) AS document_rank,
                   row_number() OVER (PARTITION BY c.document_id ORDER BY c.rank DESC, c.chunk_id) AS in_document
            FROM ${sql.table(feedbackOn ? 'keyword_chunks2' : 'keyword_chunks')} c) r
      ORDER BY in_document > 1, document_rank DESC, rank DESC, chunk_id
      LIMIT ${plan.depth})`;
}
