import { type Kysely, sql } from 'kysely';

/**
 * Frozen: what keyword search needs for BM25F ranking inside PostgreSQL (docs/search.md, "Keyword").
 *
 * - `chunks.context`: the chunk's fields — document title, heading path, file name — written by the
 *   indexer. `tsv` becomes `setweight(context, 'A') || text` so one GIN index matches both, and
 *   `context_tsv` (the context alone, a few lexemes) lets ranking count a term's field occurrences
 *   without reading every position of `tsv` twice. Existing chunks get an empty context (same `tsv`
 *   as before) until their collection is reindexed.
 * - `chunk_term_stats`: per collection and generation, how many chunks contain each lexeme (BM25's
 *   document frequency); `chunk_text_stats`: chunk count and total length (sum of `length(tsv)`).
 *   Kept exact by statement-level triggers with transition tables in the very statement that writes or
 *   deletes chunks (COPY and cascaded deletes included), so no code path can forget them and a
 *   rolled-back batch rolls its counts back. One statement aggregates its rows first: a 32-document
 *   batch upserts each lexeme once, in lexeme order (two writers meet locks in the same order).
 * - Deleting a whole generation (reindex clean-up, collection delete) drops its rows outright instead
 *   of decrementing millions of counters.
 *
 * The trigger functions are plpgsql, which PGlite ships too: both backends keep the same numbers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE chunks ADD COLUMN context text NOT NULL DEFAULT ''`.execute(db);
  // A generated column's expression cannot be altered on PostgreSQL 15: drop and add (rewrites the table once).
  await sql`ALTER TABLE chunks DROP COLUMN tsv`.execute(db);
  await sql`
    ALTER TABLE chunks
      ADD COLUMN tsv tsvector GENERATED ALWAYS AS
        (setweight(to_tsvector('english'::regconfig, context), 'A') || to_tsvector('english'::regconfig, text)) STORED,
      ADD COLUMN context_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, context)) STORED`.execute(db);
  await sql`CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv)`.execute(db);

  // fillfactor 80: counters are updated in place; free room on the page keeps those updates HOT.
  await sql`
    CREATE TABLE chunk_term_stats (
      collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
      generation integer NOT NULL,
      lexeme text NOT NULL,
      chunk_count integer NOT NULL CHECK (chunk_count >= 0),
      PRIMARY KEY (collection_id, generation, lexeme)
    ) WITH (fillfactor = 80)`.execute(db);
  await sql`
    CREATE TABLE chunk_text_stats (
      collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
      generation integer NOT NULL,
      chunk_count bigint NOT NULL CHECK (chunk_count >= 0),
      total_length bigint NOT NULL CHECK (total_length >= 0),
      PRIMARY KEY (collection_id, generation)
    )`.execute(db);

  await sql`
    CREATE FUNCTION chunk_stats_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO chunk_term_stats AS s (collection_id, generation, lexeme, chunk_count)
        SELECT n.collection_id, n.generation, l.lexeme, count(*)
        FROM new_chunks n CROSS JOIN LATERAL unnest(tsvector_to_array(n.tsv)) AS l(lexeme)
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (collection_id, generation, lexeme) DO UPDATE SET chunk_count = s.chunk_count + excluded.chunk_count;
      INSERT INTO chunk_text_stats AS s (collection_id, generation, chunk_count, total_length)
        SELECT collection_id, generation, count(*), sum(length(tsv)) FROM new_chunks GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (collection_id, generation) DO UPDATE
          SET chunk_count = s.chunk_count + excluded.chunk_count, total_length = s.total_length + excluded.total_length;
      RETURN NULL;
    END $$`.execute(db);
  // One statement over the touched generations: those with no chunk left drop their statistics whole
  // (reindex clean-up, collection delete — no per-lexeme aggregate over every deleted chunk); the rest are
  // decremented. The data-modifying CTEs touch disjoint rows, so one statement may hold them all.
  await sql`
    CREATE FUNCTION chunk_stats_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      WITH touched AS (
             SELECT g.collection_id, g.generation,
                    EXISTS (SELECT 1 FROM chunks c WHERE c.collection_id = g.collection_id AND c.generation = g.generation) AS remains
             FROM (SELECT DISTINCT collection_id, generation FROM old_chunks) g),
           remaining_old AS (
             SELECT o.collection_id, o.generation, o.tsv
             FROM old_chunks o JOIN touched t ON t.collection_id = o.collection_id AND t.generation = o.generation
             WHERE t.remains),
           dropped_terms AS (
             DELETE FROM chunk_term_stats s USING touched t
             WHERE s.collection_id = t.collection_id AND s.generation = t.generation AND NOT t.remains),
           dropped_totals AS (
             DELETE FROM chunk_text_stats s USING touched t
             WHERE s.collection_id = t.collection_id AND s.generation = t.generation AND NOT t.remains),
           decremented_totals AS (
             UPDATE chunk_text_stats s SET chunk_count = s.chunk_count - d.n, total_length = s.total_length - d.len
             FROM (SELECT collection_id, generation, count(*) AS n, sum(length(tsv)) AS len FROM remaining_old GROUP BY 1, 2) d
             WHERE s.collection_id = d.collection_id AND s.generation = d.generation)
      UPDATE chunk_term_stats s SET chunk_count = s.chunk_count - d.n
        FROM (SELECT r.collection_id, r.generation, l.lexeme, count(*) AS n
              FROM remaining_old r CROSS JOIN LATERAL unnest(tsvector_to_array(r.tsv)) AS l(lexeme)
              GROUP BY 1, 2, 3) d
        WHERE s.collection_id = d.collection_id AND s.generation = d.generation AND s.lexeme = d.lexeme;
      -- Lexemes that no chunk of a remaining generation holds any more (sees the decrement above).
      DELETE FROM chunk_term_stats s USING (SELECT DISTINCT collection_id, generation FROM old_chunks) g
        WHERE s.collection_id = g.collection_id AND s.generation = g.generation AND s.chunk_count = 0;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION chunk_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM chunk_term_stats;
      DELETE FROM chunk_text_stats;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER chunks_stats_insert AFTER INSERT ON chunks
      REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_add()`.execute(db);
  await sql`
    CREATE TRIGGER chunks_stats_delete AFTER DELETE ON chunks
      REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_remove()`.execute(db);
  // An UPDATE is a removal of the old rows and an addition of the new ones (nothing updates chunks today).
  await sql`
    CREATE TRIGGER chunks_stats_update_remove AFTER UPDATE ON chunks
      REFERENCING OLD TABLE AS old_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_remove()`.execute(db);
  await sql`
    CREATE TRIGGER chunks_stats_update_add AFTER UPDATE ON chunks
      REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_add()`.execute(db);
  await sql`
    CREATE TRIGGER chunks_stats_truncate AFTER TRUNCATE ON chunks
      FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_truncate()`.execute(db);

  await sql`
    INSERT INTO chunk_term_stats (collection_id, generation, lexeme, chunk_count)
    SELECT c.collection_id, c.generation, l.lexeme, count(*)
    FROM chunks c CROSS JOIN LATERAL unnest(tsvector_to_array(c.tsv)) AS l(lexeme)
    GROUP BY 1, 2, 3`.execute(db);
  await sql`
    INSERT INTO chunk_text_stats (collection_id, generation, chunk_count, total_length)
    SELECT collection_id, generation, count(*), sum(length(tsv)) FROM chunks GROUP BY 1, 2`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER chunks_stats_truncate ON chunks`.execute(db);
  await sql`DROP TRIGGER chunks_stats_update_add ON chunks`.execute(db);
  await sql`DROP TRIGGER chunks_stats_update_remove ON chunks`.execute(db);
  await sql`DROP TRIGGER chunks_stats_delete ON chunks`.execute(db);
  await sql`DROP TRIGGER chunks_stats_insert ON chunks`.execute(db);
  await sql`DROP FUNCTION chunk_stats_truncate()`.execute(db);
  await sql`DROP FUNCTION chunk_stats_remove()`.execute(db);
  await sql`DROP FUNCTION chunk_stats_add()`.execute(db);
  await sql`DROP TABLE chunk_text_stats`.execute(db);
  await sql`DROP TABLE chunk_term_stats`.execute(db);
  await sql`ALTER TABLE chunks DROP COLUMN context_tsv, DROP COLUMN tsv, DROP COLUMN context`.execute(db);
  await sql`ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED`.execute(db);
  await sql`CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv)`.execute(db);
}
