/**
 * bench:db — bulk insert of chunks through ChunkRepository.insertMany (COPY inside a unit of work)
 * against a raw COPY of the same pre-encoded rows on a bare pg client, and a multi-row
 * INSERT … SELECT FROM unnest() for reference. Run: npm run bench:db [-- --rows 50000 --batch 2000]
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { ChunkRepository, type NewChunk } from '../src/chunks/chunk.repository.js';
import { copyTextLine } from '../src/db/drivers/copy-payload.js';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createBenchDatabase, fmt, machineLine, writeReport } from './bench-support.js';

const args = process.argv.slice(2);
const argValue = (flag: string, fallback: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = argValue('--rows', 50_000);
const BATCH = argValue('--batch', 2_000);

/**
 * Text with a real vocabulary's shape: 20,000 distinct pseudo-words drawn Zipf-like (word k with
 * probability ∝ 1/k), ~80 words a chunk — so the BM25 statistics triggers see thousands of distinct
 * lexemes per batch, as with real documents, not the 20 words an earlier version of this bench used.
 */
const VOCABULARY = 20_000;
const CUMULATIVE = (() => {
  const weights = Array.from({ length: VOCABULARY }, (_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return Float64Array.from(weights, (w) => (acc += w / total));
})();
/** Binary search over the cumulative distribution: generating text must not be what is timed. */
function zipfWord(u: number): string {
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return `w${lo.toString(36)}x`;
}
function paragraph(seed: number): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const out: string[] = [];
  for (let i = 0; i < 80; i++) out.push(zipfWord(next()));
  return out.join(' ');
}

async function main() {
  const bench = await createBenchDatabase('semantik_bench_db');
  try {
    const { owner, collection, document } = await inUnitOfWork(bench.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const owner = await repos.users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x' });
      const collection = await repos.collections.insert({
        name: 'bench',
        owner_id: owner.id,
        vector_store_name: 'bench',
        embedding_model: 'bench',
        embedding_dimension: 512,
      });
      const document = await repos.documents.insert({ collection_id: collection.id, file_path: '/b', file_name: 'b', content_hash: 'b' });
      return { owner, collection, document };
    });
    void owner;

    const makeBatch = (generation: number, offset: number): NewChunk[] =>
      Array.from({ length: Math.min(BATCH, ROWS - offset) }, (_, i) => ({
        id: randomUUID(),
        collection_id: collection.id,
        document_id: document.id,
        generation,
        chunk_index: offset + i,
        text: paragraph(offset + i),
        start_offset: 0,
        end_offset: 500,
        metadata: { heading_path: ['Bench', String(i % 10)] },
      }));

    const truncate = () => sql`TRUNCATE chunks CASCADE`.execute(bench.database.db);

    // 1. The repository path: one unit of work per batch, COPY through the driver.
    await truncate();
    let t0 = performance.now();
    for (let offset = 0; offset < ROWS; offset += BATCH) {
      const batch = makeBatch(1, offset);
      await inUnitOfWork(bench.database, (tx) => new ChunkRepository(tx).insertMany(batch));
    }
    const repoSeconds = (performance.now() - t0) / 1000;

    // 2. Raw COPY on a bare client with the lines encoded before the clock starts.
    await truncate();
    const encoded: string[][] = [];
    for (let offset = 0; offset < ROWS; offset += BATCH) {
      encoded.push(
        makeBatch(1, offset).map((c) =>
          copyTextLine([c.id, c.collection_id, c.document_id, c.generation, c.chunk_index, c.text, c.start_offset, c.end_offset, null, c.metadata]),
        ),
      );
    }
    const client = new pg.Client({ connectionString: bench.url });
    await client.connect();
    t0 = performance.now();
    for (const lines of encoded) {
      await client.query('BEGIN');
      const stream = client.query(
        copyStreams.from('COPY chunks (id, collection_id, document_id, generation, chunk_index, text, start_offset, end_offset, page, metadata) FROM STDIN'),
      );
      await pipeline(Readable.from(lines), stream);
      await client.query('COMMIT');
    }
    const rawSeconds = (performance.now() - t0) / 1000;
    await client.end();

    // 3. Multi-row INSERT … SELECT FROM unnest(arrays), the other common bulk path.
    await truncate();
    t0 = performance.now();
    for (let offset = 0; offset < ROWS; offset += BATCH) {
      const batch = makeBatch(1, offset);
      await inUnitOfWork(bench.database, (tx) =>
        sql`
          INSERT INTO chunks (id, collection_id, document_id, generation, chunk_index, text, start_offset, end_offset, metadata)
          SELECT u.id, ${collection.id}::uuid, ${document.id}::uuid, 1, u.idx, u.text, 0, 500, u.meta
          FROM unnest(${batch.map((c) => c.id)}::uuid[], ${batch.map((c) => c.chunk_index)}::int[],
                      ${batch.map((c) => c.text)}::text[], ${batch.map((c) => JSON.stringify(c.metadata))}::jsonb[])
               AS u(id, idx, text, meta)`.execute(tx),
      );
    }
    const unnestSeconds = (performance.now() - t0) / 1000;

    // 4. The repository path again without the BM25 statistics triggers (chunk_term_stats /
    //    chunk_text_stats, migration 20261201T0900): their write-path cost, measured in this run.
    //    Then the delete path (one document's chunks, as a reindex/remove does) with and without them.
    const deleteAll = async () => {
      const t = performance.now();
      await inUnitOfWork(bench.database, (tx) => sql`DELETE FROM chunks WHERE document_id = ${document.id}::uuid`.execute(tx));
      return (performance.now() - t) / 1000;
    };
    const repositoryInsert = async () => {
      const t = performance.now();
      for (let offset = 0; offset < ROWS; offset += BATCH) {
        const batch = makeBatch(1, offset);
        await inUnitOfWork(bench.database, (tx) => new ChunkRepository(tx).insertMany(batch));
      }
      return (performance.now() - t) / 1000;
    };
    await truncate();
    const withStatsSeconds = await repositoryInsert();
    const deleteWithStatsSeconds = await deleteAll();
    await sql`ALTER TABLE chunks DISABLE TRIGGER USER`.execute(bench.database.db);
    let withoutStatsSeconds: number;
    let deleteWithoutStatsSeconds: number;
    try {
      await truncate();
      withoutStatsSeconds = await repositoryInsert();
      deleteWithoutStatsSeconds = await deleteAll();
    } finally {
      await sql`ALTER TABLE chunks ENABLE TRIGGER USER`.execute(bench.database.db);
    }

    const rate = (s: number) => ROWS / s;
    const overhead = (withStats: number, without: number) => `${fmt(((withStats - without) / without) * 100)}%`;
    const report = `## bench:db — bulk chunk insert (${fmt(ROWS)} rows, batches of ${fmt(BATCH)})

Machine: ${machineLine()}; PostgreSQL server via DATABASE_URL pool. Each row: ~80 words of Zipf-distributed text (20,000-word vocabulary)
(the generated \`tsv\` column and its GIN index are maintained in every variant), jsonb metadata.

| path | seconds | rows/s | vs raw COPY |
|---|---:|---:|---:|
| raw \`COPY … FROM STDIN\` (bare pg client, lines pre-encoded) | ${fmt(rawSeconds, 2)} | ${fmt(rate(rawSeconds))} | 100% |
| \`ChunkRepository.insertMany\` (COPY in a unit of work, encoding included) | ${fmt(repoSeconds, 2)} | ${fmt(rate(repoSeconds))} | ${fmt((rawSeconds / repoSeconds) * 100)}% |
| multi-row \`INSERT … SELECT FROM unnest()\` (reference) | ${fmt(unnestSeconds, 2)} | ${fmt(rate(unnestSeconds))} | ${fmt((rawSeconds / unnestSeconds) * 100)}% |

BM25 statistics triggers (kept exact in the writing statement; docs/search.md), same run:

| path | with triggers (s) | without (s) | trigger cost |
|---|---:|---:|---:|
| \`ChunkRepository.insertMany\`, ${fmt(ROWS)} rows | ${fmt(withStatsSeconds, 2)} | ${fmt(withoutStatsSeconds, 2)} | ${overhead(withStatsSeconds, withoutStatsSeconds)} |
| \`DELETE\` one document's ${fmt(ROWS)} chunks (one statement) | ${fmt(deleteWithStatsSeconds, 2)} | ${fmt(deleteWithoutStatsSeconds, 2)} | ${overhead(deleteWithStatsSeconds, deleteWithoutStatsSeconds)} |

Target: repository ≥ 70% of raw COPY. Reproduce: \`npm run bench:db -- --rows ${ROWS} --batch ${BATCH}\`.
`;
    writeReport('db', report);
  } finally {
    await bench.drop();
  }
}

await main();
