/**
 * bench:ingest — end-to-end indexing throughput through the real worker: scan → extract → chunk →
 * embed → write (COPY into chunks + chunk_embeddings with the HNSW index live), committing per batch.
 *
 * Corpus (generated, deterministic): DOCS documents (md / txt / html, 300–1,800 characters of
 * prose from a 2,000-word pseudo-vocabulary), chunk_size 1000 / overlap 200 (the defaults).
 * Runs: 1 worker indexing all documents as one operation; 2 workers indexing two halves (two
 * collections, one operation each, so both run at once — one operation is one worker's). Each run
 * uses a fresh database. Time shares come from the operation's metrics (extract = read + extract +
 * chunk; embed = the model; write = the batch transactions), as a share of the operation's wall time.
 *
 * OCR run (report `ingest-ocr`): the same documents plus OCR_PAGES scanned pages (image-only PDFs of
 * 2 pages, ~30 lines of 11 pt prose each, made with mupdf), 1 worker, the first model; reports OCR
 * pages/s per core (one Tesseract worker per job = one core) and OCR's share of the wall time.
 *
 * Run: npm run bench:ingest [-- --docs 1000 --models universal-sentence-encoder-lite,deterministic-hash-384 --ocr-pages 20]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { batchLimitsFromEnv } from '../src/indexing/batching.js';
import { EmbeddingProviderCache } from '../src/indexing/embedding-provider.cache.js';
import { DEFAULT_EMBEDDING_MODEL } from '../src/ingest/index.js';
import { InProcessOperationEventBus } from '../src/operations/operation-events.js';
import { enqueueOperation } from '../src/operations/operation.service.js';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { createLogger } from '../src/shared/logger.js';
import { buildScannedPdf, renderTextPng } from '../test/fixtures/scanned-files.js';
import { createBenchDatabase, fmt, machineLine, writeReport } from './bench-support.js';

const args = process.argv.slice(2);
const argValue = (flag: string, fallback: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1]! : fallback;
};
const DOCS = Number(argValue('--docs', '1000'));
const MODELS = argValue('--models', `${DEFAULT_EMBEDDING_MODEL},deterministic-hash-384`).split(',');
const OCR_PAGES = Number(argValue('--ocr-pages', '20'));

// ---------- deterministic corpus ----------
let seed = 7;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'an', 'el', 'or', 'un', 'is', 'qu', 'pr', 'st', 'br'];
const VOCABULARY = Array.from({ length: 2_000 }, (_, i) => {
  let word = '';
  for (let n = 2 + (i % 3), x = i + 1; n > 0; n--, x = Math.floor(x / SYLLABLES.length) + i * 7) word += SYLLABLES[x % SYLLABLES.length];
  return word;
});
function sentence(): string {
  const words = Array.from({ length: 8 + Math.floor(random() * 12) }, () => VOCABULARY[Math.floor(random() ** 2 * VOCABULARY.length)]!);
  return words[0]!.charAt(0).toUpperCase() + words.join(' ').slice(1) + '.';
}
function paragraphs(chars: number): string[] {
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    const p = Array.from({ length: 2 + Math.floor(random() * 4) }, sentence).join(' ');
    out.push(p);
    length += p.length + 2;
  }
  return out;
}
function writeCorpus(dir: string, count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const body = paragraphs(300 + Math.floor(random() * 1_500));
    const kind = i % 3;
    const name = path.join(dir, `doc-${String(i).padStart(5, '0')}.${kind === 0 ? 'md' : kind === 1 ? 'txt' : 'html'}`);
    const content =
      kind === 0
        ? `# ${sentence()}\n\n${body.join('\n\n')}\n`
        : kind === 1
          ? body.join('\n\n')
          : `<html><head><title>${sentence()}</title></head><body>${body.map((p) => `<p>${p}</p>`).join('')}</body></html>`;
    fs.writeFileSync(name, content);
    bytes += Buffer.byteLength(content);
  }
  return bytes;
}

// ---------- runs ----------
interface RunResult {
  model: string;
  workers: number;
  wallMs: number;
  documents: number;
  chunks: number;
  extractMs: number;
  embedMs: number;
  writeMs: number;
  scanMs: number;
  operationMs: number;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  loadAtStart: number;
  ocrPages: number;
  ocrMs: number;
  /** One-worker runs only: the same collection kept fresh afterwards (issue 16 targets). */
  followUps?: FollowUps;
}

/** Image-only PDFs of 2 pages each (what a scanner writes), `pages` pages in all. */
async function writeScans(dir: string, pages: number): Promise<void> {
  const pngs: Uint8Array[] = [];
  for (let i = 0; i < pages; i++) {
    const lines = Array.from({ length: 30 }, () => sentence().slice(0, 75));
    pngs.push(await renderTextPng(lines, { fontSize: 11 }));
  }
  for (let i = 0; i < pngs.length; i += 2) fs.writeFileSync(path.join(dir, `scan-${i / 2}.pdf`), await buildScannedPdf(pngs.slice(i, i + 2)));
}

interface FollowUps {
  syncUnchangedMs: number;
  syncUnchangedHashed: number;
  syncChangedMs: number;
  changedFiles: number;
  syncChangedEmbedded: number;
  reindexMs: number;
  reindexEmbedded: number;
}

/** Enqueues one operation and waits for it; wall time from enqueue to completed. */
async function timed(database: Awaited<ReturnType<typeof createBenchDatabase>>['database'], collectionId: string, userId: number, type: 'sync' | 'reindex') {
  const started = performance.now();
  const op = await inUnitOfWork(database, (tx) => enqueueOperation(tx, repositoriesFor(tx), { collectionId, userId, type, config: {} }));
  for (;;) {
    const row = await database.db.selectFrom('operations').selectAll().where('id', '=', op.id).executeTakeFirstOrThrow();
    if (row.status === 'failed' || row.status === 'cancelled') throw new Error(`${type} ${row.status}: ${row.error_message}`);
    if (row.status === 'completed') {
      const metrics = await database.db.selectFrom('operation_metrics').select(['metric_name', 'metric_value']).where('operation_id', '=', op.id).execute();
      const metric = (name: string) => metrics.filter((m) => m.metric_name === name).reduce((n, m) => n + m.metric_value, 0);
      return { ms: performance.now() - started, metric, row };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sync with nothing changed, sync after rewriting 1% of the files, reindex with the same model and chunking. */
async function followUps(database: Awaited<ReturnType<typeof createBenchDatabase>>['database'], collectionId: string, userId: number, folder: string): Promise<FollowUps> {
  const unchanged = await timed(database, collectionId, userId, 'sync');
  const names = fs.readdirSync(folder).sort();
  const changed = names.filter((_, i) => i % 100 === 0);
  // A new last paragraph: the file's other chunks keep their text (and their vectors).
  for (const name of changed) fs.appendFileSync(path.join(folder, name), `\n\n${paragraphs(200).join('\n\n')}\n`);
  const afterChange = await timed(database, collectionId, userId, 'sync');
  const reindex = await timed(database, collectionId, userId, 'reindex');
  return {
    syncUnchangedMs: unchanged.ms,
    syncUnchangedHashed: unchanged.metric('files_hashed'),
    syncChangedMs: afterChange.ms,
    changedFiles: changed.length,
    syncChangedEmbedded: afterChange.metric('chunks_embedded'),
    reindexMs: reindex.ms,
    reindexEmbedded: reindex.metric('chunks_embedded'),
  };
}

async function run(model: string, workers: number, folders: string[], root: string, keepFresh = true): Promise<RunResult> {
  // Per process: two benches on one server (several checkouts) must not DROP … WITH (FORCE) each other's database.
  const bench = await createBenchDatabase(`semantik_bench_ingest_${process.pid}`, { SEMANTIK_DOCUMENT_ROOTS: root, LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');
  const bus = new InProcessOperationEventBus();
  const running: RunningWorker[] = [];
  const caches: EmbeddingProviderCache[] = [];
  // Embedding threads split across workers (threads × workers = cores): more threads than cores
  // only adds contention. One worker keeps the default of one thread per core.
  process.env.SEMANTIK_EMBED_THREADS = String(Math.max(1, Math.floor(os.availableParallelism() / workers)));
  try {
    const { database, config } = bench;
    const user = await inUnitOfWork(database, (tx) =>
      // A superuser reads SEMANTIK_DOCUMENT_ROOTS (an ordinary user with no roots granted may index nothing, issue 15).
      repositoriesFor(tx).users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x', is_superuser: true }),
    );
    const collections = await inUnitOfWork(database, (tx) =>
      Promise.all(
        folders.map((_, i) =>
          repositoriesFor(tx).collections.insert({ name: `bench-${i}`, owner_id: user.id, vector_store_name: `vs_bench_${i}`, embedding_model: model, embedding_dimension: null }),
        ),
      ),
    );
    // Start the workers first so model loading is not counted as indexing time.
    for (let i = 0; i < workers; i++) {
      const embedders = new EmbeddingProviderCache();
      caches.push(embedders);
      // Load the model before the clock starts: USE-lite spends seconds loading weights per thread.
      await embedders.get(model).embed(['warm up']);
      running.push(await startWorker({ config, database, logger, eventBus: bus, concurrency: 1, pollIntervalMs: 200, embedders }));
    }
    const loadAtStart = os.loadavg()[0]!;
    const started = performance.now();
    const operations = await inUnitOfWork(database, (tx) =>
      Promise.all(
        folders.map((folder, i) =>
          enqueueOperation(tx, repositoriesFor(tx), { collectionId: collections[i]!.id, userId: user.id, type: 'index', config: { source_path: folder } }),
        ),
      ),
    );
    const ids = operations.map((o) => o.id);
    for (;;) {
      const rows = await database.db.selectFrom('operations').select(['id', 'status', 'error_message']).where('id', 'in', ids).execute();
      const failed = rows.find((r) => r.status === 'failed' || r.status === 'cancelled');
      if (failed) throw new Error(`operation ${failed.id} ${failed.status}: ${failed.error_message}`);
      if (rows.every((r) => r.status === 'completed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wallMs = performance.now() - started;
    const kept = workers === 1 && keepFresh ? await followUps(database, collections[0]!.id, user.id, folders[0]!) : undefined;
    const metrics = await database.db.selectFrom('operation_metrics').select(['metric_name', 'metric_value']).where('operation_id', 'in', ids).execute();
    const sum = (name: string) => metrics.filter((m) => m.metric_name === name).reduce((n, m) => n + m.metric_value, 0);
    return {
      model,
      workers,
      wallMs,
      documents: sum('documents'),
      chunks: sum('chunks'),
      extractMs: sum('extract_ms'),
      embedMs: sum('embed_ms'),
      writeMs: sum('write_ms'),
      scanMs: sum('scan_ms'),
      operationMs: sum('total_ms'),
      loadAtStart,
      ocrPages: sum('ocr_pages'),
      ocrMs: sum('ocr_ms'),
      ...(kept ? { followUps: kept } : {}),
    };
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await Promise.all(caches.map((c) => c.closeAll()));
    await bus.close();
    await bench.drop();
    delete process.env.SEMANTIK_EMBED_THREADS;
  }
}


const pct = (part: number, whole: number) => `${fmt((100 * part) / whole, 1)} %`;

async function main(): Promise<void> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-bench-ingest-')));
  const all = path.join(root, 'all');
  const halves = [path.join(root, 'half-a'), path.join(root, 'half-b')];
  for (const dir of [all, ...halves]) fs.mkdirSync(dir);
  const bytes = writeCorpus(all, DOCS);
  // The same files split in two for the two-worker run.
  fs.readdirSync(all).forEach((name, i) => fs.copyFileSync(path.join(all, name), path.join(halves[i % 2]!, name)));

  const scans = path.join(root, 'with-scans');
  fs.mkdirSync(scans);
  for (const name of fs.readdirSync(all)) fs.copyFileSync(path.join(all, name), path.join(scans, name));
  await writeScans(scans, OCR_PAGES);

  const results: RunResult[] = [];
  let ocr: RunResult | undefined;
  try {
    if (OCR_PAGES > 0) {
      console.error(`… OCR: ${MODELS[0]}, 1 worker, ${fmt(DOCS)} documents + ${OCR_PAGES} scanned pages`);
      // No sync/reindex follow-ups here: a reindex would OCR every scan again.
      ocr = await run(MODELS[0]!, 1, [scans], root, false);
      console.error(`   ${fmt(ocr.wallMs / 1000, 1)} s, ${ocr.ocrPages} pages OCR'd in ${fmt(ocr.ocrMs / 1000, 1)} s`);
    }
    for (const model of MODELS) {
      for (const workers of [1, 2]) {
        console.error(`… ${model}, ${workers} worker(s)`);
        const result = await run(model, workers, workers === 1 ? [all] : halves, root);
        console.error(`   ${fmt(result.wallMs / 1000, 1)} s, ${fmt((result.documents * 1000) / result.wallMs, 1)} docs/s`);
        results.push(result);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  const lines = [
    '## Ingestion throughput (bench:ingest)',
    '',
    `${machineLine()}; PostgreSQL server with pgvector (HNSW index live during writes). ${fmt(DOCS)} generated documents ` +
      `(md / txt / html, ${fmt(bytes / DOCS)} bytes on average), chunk_size 1000, overlap 200, ` +
      `committed in batches of ${batchLimitsFromEnv().documents} documents. Wall time from enqueue to the last operation completed (models loaded beforehand).`,
    '',
    '| model | workers | wall s | docs/s | chunks/s | extract | embed | write | scan + other | load avg at start |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => {
      const other = Math.max(0, r.operationMs - r.extractMs - r.embedMs - r.writeMs);
      return (
        `| ${r.model} | ${r.workers} | ${fmt(r.wallMs / 1000, 1)} | ${fmt((r.documents * 1000) / r.wallMs, 1)} | ${fmt((r.chunks * 1000) / r.wallMs, 1)} ` +
        `| ${pct(r.extractMs, r.operationMs)} | ${pct(r.embedMs, r.operationMs)} | ${pct(r.writeMs, r.operationMs)} | ${pct(other, r.operationMs)} ` +
        `| ${fmt(r.loadAtStart, 1)} |`
      );
    }),
    '',
    'Shares are of the operations\' own wall time (summed over operations for 2 workers). `extract` = read + extract + chunk, ' +
      '`embed` = the embedding model, `write` = the per-batch transactions (document upsert, COPY of chunks and embeddings, ' +
      'progress, counters), `scan + other` = walking and hashing the folder, planning, and clean-up. ' +
      '`deterministic-hash-384` is the test embedder (near-zero cost): its rows show the ceiling of the pipeline and the ' +
      'database write path without a model.',
    '',
    'With the default model, embedding is CPU-bound. One worker runs USE-lite on one thread per core; with 2 workers each ' +
      'gets cores / 2 threads (`SEMANTIK_EMBED_THREADS`), so both runs use the same cores. More workers pay off on more ' +
      'cores or more machines; the load average column shows how busy the machine was with other work at the start of each run.',
    '',
    '### Keeping a collection fresh (issue 16)',
    '',
    'One worker, the same collection right after its first index: a `sync` with nothing changed, a `sync` after ' +
      'appending a paragraph to 1% of the files, and a `reindex` with the same model and chunking. Wall time from enqueue ' +
      'to completed, and as a share of the first index. Targets: ≤ 3 %, ≤ 5 %, ≤ 10 %.',
    '',
    '| model | first index s | sync, nothing changed | files read | sync, 1% changed | chunks embedded | reindex, same model | chunks embedded |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.flatMap((r) => {
      const f = r.followUps;
      if (!f) return [];
      const share = (ms: number) => `${fmt(ms / 1000, 2)} s (${pct(ms, r.wallMs)})`;
      return [
        `| ${r.model} | ${fmt(r.wallMs / 1000, 1)} | ${share(f.syncUnchangedMs)} | ${fmt(f.syncUnchangedHashed)} | ${share(f.syncChangedMs)} ` +
          `| ${fmt(f.syncChangedEmbedded)} (${fmt(f.changedFiles)} files) | ${share(f.reindexMs)} | ${fmt(f.reindexEmbedded)} |`,
      ];
    }),
    '',
    'Run: `npm run bench:ingest` (options: `-- --docs N --models a,b`)',
  ];
  writeReport('ingest', lines.join('\n'));
  if (ocr) writeReport('ingest-ocr', ocrReport(ocr).join('\n'));
}

function ocrReport(r: RunResult): string[] {
  return [
    '## OCR during ingestion (bench:ingest)',
    '',
    `${machineLine()}. ${fmt(DOCS)} generated text documents plus ${OCR_PAGES} scanned pages (image-only PDFs, 2 pages each, ` +
      `~30 lines of 11 pt prose per page, rendered at 200 dpi for Tesseract), one operation, 1 worker, model ${r.model}, ` +
      'SEMANTIK_OCR defaults (eng, LSTM, one Tesseract worker thread per job).',
    '',
    '| pages OCR\'d | OCR s | pages/s per core | OCR share of wall | wall s | docs/s | load avg at start |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.ocrPages} | ${fmt(r.ocrMs / 1000, 1)} | ${fmt((r.ocrPages * 1000) / Math.max(1, r.ocrMs), 2)} | ${pct(r.ocrMs, r.operationMs)} ` +
      `| ${fmt(r.wallMs / 1000, 1)} | ${fmt((r.documents * 1000) / r.wallMs, 1)} | ${fmt(r.loadAtStart, 1)} |`,
    '',
    '`OCR s` is Tesseract recognition time (`ocr_ms` metric; page rendering runs in its own thread and is counted in ' +
      '`extract`). One job runs one Tesseract worker, so OCR pages/s is per core; it runs while other documents of the batch ' +
      'are extracted, and its share is of the operation\'s wall time.',
  ];
}

await main();
