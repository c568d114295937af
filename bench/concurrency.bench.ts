/**
 * bench:concurrency — the same write workload against (a) a SQLite file in WAL mode via
 * better-sqlite3 (the legacy design; one connection per client thread, busy_timeout 5 s like
 * SQLAlchemy's default) and (b) PostgreSQL through Semantik's repositories and pool.
 * One "operation" = one transaction: a document row + 5 chunk-metadata rows (no per-document update
 * of a shared counter row: Semantik recomputes collection counters once per batch, and a hot row
 * would serialise any store). Clients N = 1, 4, 16, each for a fixed time.
 *
 * Run: npm run bench:concurrency [-- --seconds 5]
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { repositoriesFor } from '../src/db/repositories.js';
import { inUnitOfWork } from '../src/db/unit-of-work.js';
import { createBenchDatabase, fmt, machineLine, percentile, writeReport } from './bench-support.js';

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf('--seconds') + 1] ?? 5) || 5;
// Request-shaped workload: the transaction awaits this much async work between its statements, as a
// server's unit of work does (auth lookups, validation, a call out) — SQLite holds its single write
// lock across that gap, PostgreSQL only locks the rows written.
const THINK_MS = Number(args[args.indexOf('--think-ms') + 1] ?? 2) || 2;
const WORKLOADS = [
  { name: 'tight', thinkMs: 0 },
  { name: 'request-shaped', thinkMs: THINK_MS },
];
const CLIENTS = [1, 4, 16];

interface RunResult {
  ops: number;
  errors: number;
  latencies: number[];
  seconds: number;
}

const SQLITE_SCHEMA = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  CREATE TABLE IF NOT EXISTS collections (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, document_count INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, collection_id TEXT NOT NULL REFERENCES collections(id), file_path TEXT NOT NULL,
    file_name TEXT NOT NULL, file_size INTEGER NOT NULL, content_hash TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (collection_id, content_hash));
  CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, collection_id TEXT NOT NULL, document_id TEXT NOT NULL REFERENCES documents(id),
    chunk_index INTEGER NOT NULL, text TEXT NOT NULL, metadata TEXT);
  CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
`;

// The SQLite client runs in a worker thread: better-sqlite3 is synchronous, so N clients need N threads
// (the legacy app had one connection per request thread as well).
const SQLITE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.modulePath);
const { randomUUID } = require('node:crypto');
const db = new Sqlite(workerData.file);
db.pragma('busy_timeout = 5000');
const insertDoc = db.prepare("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, 'completed', ?)");
const insertChunk = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function op(collectionId) {
  db.exec('BEGIN IMMEDIATE');
  try {
    const docId = randomUUID();
    insertDoc.run(docId, collectionId, '/bench/' + docId, docId + '.txt', 1234, docId, new Date().toISOString());
    if (workerData.thinkMs) await sleep(workerData.thinkMs);
    for (let i = 0; i < 5; i++) insertChunk.run(randomUUID(), collectionId, docId, i, 'chunk text '.repeat(40), '{"page":1}');
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
(async () => {
  const deadline = Date.now() + workerData.seconds * 1000;
  let ops = 0, errors = 0; const latencies = [];
  while (Date.now() < deadline) {
    const t = performance.now();
    try { await op(workerData.collectionId); ops++; latencies.push(performance.now() - t); }
    catch (e) { if (String(e.code).startsWith('SQLITE_BUSY')) errors++; else throw e; }
  }
  parentPort.postMessage({ ops, errors, latencies });
})();
`;

async function runSqlite(clients: number, thinkMs: number): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-sqlite-bench-'));
  const file = path.join(dir, 'bench.db');
  const setup = new Sqlite(file);
  setup.exec(SQLITE_SCHEMA);
  const collectionId = randomUUID();
  setup.prepare('INSERT INTO collections (id, name) VALUES (?, ?)').run(collectionId, 'bench');
  setup.close();
  const modulePath = require_resolve('better-sqlite3');
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: clients }, () =>
      new Promise<Omit<RunResult, 'seconds'>>((resolve, reject) => {
        const worker = new Worker(SQLITE_WORKER, { eval: true, workerData: { file, collectionId, seconds: SECONDS, modulePath, thinkMs } });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return merge(results, seconds);
}

function require_resolve(name: string): string {
  return path.resolve('node_modules', name);
}

function merge(parts: Array<Omit<RunResult, 'seconds'>>, seconds: number): RunResult {
  return {
    ops: parts.reduce((s, p) => s + p.ops, 0),
    errors: parts.reduce((s, p) => s + p.errors, 0),
    latencies: parts.flatMap((p) => p.latencies).sort((a, b) => a - b),
    seconds,
  };
}

async function runPostgres(clients: number, thinkMs: number): Promise<RunResult> {
  const bench = await createBenchDatabase('semantik_bench_concurrency', { DB_POOL_SIZE: String(clients), DB_MAX_OVERFLOW: '0' });
  try {
    const collectionId = await inUnitOfWork(bench.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const owner = await repos.users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x' });
      const c = await repos.collections.insert({ name: 'bench', owner_id: owner.id, vector_store_name: 'bench', embedding_model: 'bench' });
      return c.id;
    });
    const deadline = Date.now() + SECONDS * 1000;
    const started = performance.now();
    const parts = await Promise.all(
      Array.from({ length: clients }, async () => {
        let ops = 0;
        let errors = 0;
        const latencies: number[] = [];
        while (Date.now() < deadline) {
          const t = performance.now();
          try {
            await inUnitOfWork(bench.database, async (tx) => {
              const repos = repositoriesFor(tx);
              const docId = randomUUID();
              await repos.documents.insert({
                id: docId,
                collection_id: collectionId,
                file_path: `/bench/${docId}`,
                file_name: `${docId}.txt`,
                file_size: 1234,
                content_hash: docId,
                status: 'completed',
              });
              if (thinkMs) await new Promise((r) => setTimeout(r, thinkMs));
              await repos.chunks.insertMany(
                Array.from({ length: 5 }, (_, i) => ({
                  collection_id: collectionId,
                  document_id: docId,
                  generation: 1,
                  chunk_index: i,
                  text: 'chunk text '.repeat(40),
                  metadata: { page: 1 },
                })),
              );
            });
            ops++;
            latencies.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
        return { ops, errors, latencies };
      }),
    );
    return merge(parts, (performance.now() - started) / 1000);
  } finally {
    await bench.drop();
  }
}

async function main() {
  const rows: string[] = [];
  const ratios: string[] = [];
  for (const workload of WORKLOADS) {
    const summary: Record<number, { sqlite: number; pg: number }> = {};
    for (const n of CLIENTS) {
      const lite = await runSqlite(n, workload.thinkMs);
      const pgRun = await runPostgres(n, workload.thinkMs);
      summary[n] = { sqlite: lite.ops / lite.seconds, pg: pgRun.ops / pgRun.seconds };
      for (const [name, r] of [
        ['SQLite (WAL, better-sqlite3)', lite],
        ['PostgreSQL (repositories + pool)', pgRun],
      ] as const) {
        rows.push(
          `| ${workload.name} | ${n} | ${name} | ${fmt(r.ops / r.seconds)} | ${fmt(percentile(r.latencies, 50), 1)} | ${fmt(percentile(r.latencies, 99), 1)} | ${r.errors} |`,
        );
      }
    }
    const ratio = (n: number) => summary[n]!.pg / summary[n]!.sqlite;
    ratios.push(`- ${workload.name}: N=1 ${fmt(ratio(1), 2)}×, N=4 ${fmt(ratio(4), 2)}×, N=16 ${fmt(ratio(16), 2)}×`);
  }
  writeReport(
    'concurrency',
    `## bench:concurrency — concurrent writes, SQLite (legacy design) vs PostgreSQL

Machine: ${machineLine()}. ${SECONDS} s per run. One operation = one transaction writing a document
and its 5 chunk-metadata rows.
Both stores commit durably (SQLite WAL + synchronous=FULL; PostgreSQL synchronous_commit=on).
SQLite: busy_timeout 5 s (SQLAlchemy's default), BEGIN IMMEDIATE, one connection per client thread.
PostgreSQL: local server, Semantik's unit of work + repositories (COPY for chunks), pool size = N.
Workloads: *tight* = statements back to back; *request-shaped* = ${THINK_MS} ms of awaited work after
the first insert, inside the transaction, as in a server request.

| workload | clients N | store | ops/s | p50 ms | p99 ms | errors (SQLITE_BUSY / failed tx) |
|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}

PostgreSQL / SQLite throughput:
${ratios.join('\n')}

Targets: PostgreSQL ≥ SQLite/2 at N=1; ≥ 3× SQLite at N=16 with zero errors.
Reproduce: \`npm run bench:concurrency -- --seconds ${SECONDS} --think-ms ${THINK_MS}\`.
`,
  );
}

await main();
