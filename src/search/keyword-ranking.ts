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
}

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
  return sql`
    keyword_scope AS MATERIALIZED (
      SELECT id AS collection_id, active_generation AS generation FROM collections WHERE id = ANY(${plan.collectionIds}::uuid[])),
    keyword_totals AS MATERIALIZED (
      SELECT coalesce(sum(s.chunk_count), 0)::float8 AS n,
             coalesce(sum(s.total_length)::float8 / nullif(sum(s.chunk_count), 0), 1) AS avgdl
      FROM chunk_text_stats s JOIN keyword_scope g ON g.collection_id = s.collection_id AND g.generation = s.generation),
    keyword_weights AS MATERIALIZED (
      SELECT q.lexeme, q.df, ln(1 + (t.n - q.df + 0.5) / (q.df + 0.5)) AS idf
      FROM (SELECT l.lexeme,
                   (SELECT coalesce(sum(s.chunk_count), 0) FROM chunk_term_stats s
                    JOIN keyword_scope g ON g.collection_id = s.collection_id AND g.generation = s.generation
                    WHERE s.lexeme = l.lexeme)::float8 AS df
            FROM (SELECT DISTINCT u.lexeme FROM ${queryLexemes(keyword.text)} AS u(lexeme)) l) q
      CROSS JOIN keyword_totals t
      WHERE q.df > 0),
    keyword_query AS MATERIALIZED (
      SELECT ${matchQuery} AS q, array_agg(lexeme) AS lexemes, sum(idf) * ${sql.lit(k1 + 1)} AS max_score FROM keyword_weights),
    keyword AS MATERIALIZED (
      SELECT c.id AS chunk_id, c.document_id,
             (SELECT coalesce(sum(w.idf * t.tf * ${sql.lit(k1 + 1)}
                               / (t.tf + ${sql.lit(k1)} * (${sql.lit(1 - b)} + ${sql.lit(b)} * length(c.tsv) / (SELECT avgdl FROM keyword_totals)))), 0)
              FROM (SELECT a.lexeme, cardinality(a.positions) + ${sql.lit(fieldWeight - 1)} * coalesce(cardinality(x.positions), 0) AS tf
                    FROM unnest(ts_filter(setweight(c.tsv, 'b', (SELECT lexemes FROM keyword_query)), '{b}')) a
                    LEFT JOIN unnest(ts_filter(setweight(c.context_tsv, 'b', (SELECT lexemes FROM keyword_query)), '{b}')) x
                      ON x.lexeme = a.lexeme) t
              JOIN keyword_weights w ON w.lexeme = t.lexeme) / (SELECT max_score FROM keyword_query) AS rank
      FROM chunks c
      JOIN collections col ON col.id = c.collection_id AND c.generation = col.active_generation
      ${plan.filter.needsDocuments ? sql`JOIN documents d ON d.id = c.document_id` : sql``}
      WHERE c.collection_id = ANY(${plan.collectionIds}::uuid[]) AND c.tsv @@ (SELECT q FROM keyword_query) AND ${plan.filter.condition}
      ORDER BY rank DESC, c.id
      LIMIT ${plan.depth})`;
}
