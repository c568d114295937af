/**
 * bench:concurrency — the same write workload (bench/concurrency/workload.ts: collections created,
 * documents indexed with their full-text-indexed chunk rows) from N = 1, 4, 16 concurrent clients
 * against (a) the legacy design, a SQLite file in WAL mode via better-sqlite3 with tables equivalent
 * to Semantik's (bench/concurrency/sqlite-clients.ts), and (b) PostgreSQL through Semantik's unit
 * of work, repositories and pool (bench/concurrency/postgres-clients.ts). Both commit durably.
 *
 * Two shapes of transaction:
 * - tight: the statements back to back, nothing else inside the transaction;
 * - request-shaped: THINK_MS of awaited work between the document row and its chunks, as an
 *   application transaction has (the legacy app held its SQLAlchemy session across a request's
 *   awaits). SQLite holds its one write lock across that gap; PostgreSQL locks only the rows written.
 *
 * Run: npm run bench:concurrency [-- --seconds 5 --think-ms 2]
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, machineLine, percentile, writeReport } from './bench-support.js';
import { runPostgresClients } from './concurrency/postgres-clients.js';
import { runSqliteClients } from './concurrency/sqlite-clients.js';
import { CHUNKS_PER_DOCUMENT, chunkTextPool, COLLECTION_EVERY, type RunResult, type Workload } from './concurrency/workload.js';

const args = process.argv.slice(2);
function numberArg(flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  const value = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}
const SECONDS = numberArg('--seconds', 5);
const THINK_MS = numberArg('--think-ms', 2);
const WORKLOADS: Workload[] = [
  { name: 'tight', thinkMs: 0 },
  { name: 'request-shaped', thinkMs: THINK_MS },
];
const CLIENTS = [1, 4, 16];

/**
 * Each run starts on a quiet disk: the previous run's dirty pages (tens of MB of SQLite file or
 * PostgreSQL heap) written back during the next run made the next store's commit fsyncs wait —
 * PostgreSQL measured 271 ops/s right after a SQLite run and 352 alone, same settings.
 */
async function quiesce(): Promise<void> {
  execFileSync('sync');
  await sleep(1_000);
}

interface Comparison {
  clients: number;
  /** PostgreSQL ops/s over SQLite ops/s. */
  ratio: number;
  postgresErrors: number;
}

/** Issue 8's targets: PostgreSQL ≥ SQLite/2 with one client, ≥ 3× SQLite with 16 and no errors. */
const TARGETS = [
  { clients: 1, minRatio: 0.5, noErrors: false },
  { clients: 16, minRatio: 3, noErrors: true },
] as const;

function verdict(target: (typeof TARGETS)[number], c: Comparison): string {
  const met = c.ratio >= target.minRatio && (!target.noErrors || c.postgresErrors === 0);
  const errors = target.noErrors ? `, ${c.postgresErrors} PostgreSQL errors` : '';
  return `N=${c.clients} ${met ? 'met' : 'not met'} (${fmt(c.ratio, 2)}× ≥ ${target.minRatio}×${errors})`;
}

function row(workload: string, n: number, store: string, r: RunResult): string {
  return `| ${workload} | ${n} | ${store} | ${fmt(r.ops / r.seconds)} | ${fmt(percentile(r.latencies, 50), 1)} | ${fmt(percentile(r.latencies, 99), 1)} | ${r.errors} |`;
}

async function main() {
  const texts = chunkTextPool();
  const rows: string[] = [];
  const ratios: string[] = [];
  const verdicts: string[] = [];
  for (const workload of WORKLOADS) {
    const comparisons: Comparison[] = [];
    for (const clients of CLIENTS) {
      const spec = { clients, seconds: SECONDS, thinkMs: workload.thinkMs, texts };
      await quiesce();
      const sqlite = await runSqliteClients(spec);
      await quiesce();
      const postgres = await runPostgresClients(spec);
      rows.push(row(workload.name, clients, 'SQLite (WAL, better-sqlite3)', sqlite));
      rows.push(row(workload.name, clients, 'PostgreSQL (Semantik repositories + pool)', postgres));
      comparisons.push({ clients, ratio: postgres.ops / postgres.seconds / (sqlite.ops / sqlite.seconds), postgresErrors: postgres.errors });
      console.error(`${workload.name} N=${clients}: SQLite ${fmt(sqlite.ops / sqlite.seconds)} ops/s, PostgreSQL ${fmt(postgres.ops / postgres.seconds)} ops/s`);
    }
    const ratioByN = comparisons.map((c) => `N=${c.clients} ${fmt(c.ratio, 2)}×${c.postgresErrors ? ` (${c.postgresErrors} PostgreSQL errors)` : ''}`);
    ratios.push(`- ${workload.name}: ${ratioByN.join(', ')}`);
    verdicts.push(`- ${workload.name}: ${TARGETS.map((target) => verdict(target, comparisons.find((c) => c.clients === target.clients)!)).join('; ')}`);
  }
  writeReport(
    'concurrency',
    `## bench:concurrency — concurrent writes, SQLite (legacy design) vs PostgreSQL

Machine: ${machineLine()}; the PostgreSQL server runs on the same 2 cores. ${SECONDS} s per run.
Operation: 1 in ${COLLECTION_EVERY} creates a collection, the others index a document — its row and
${CHUNKS_PER_DOCUMENT} chunk rows (~120 words each) in one transaction, the chunk text full-text indexed.
Tables: SQLite gets the same columns, CHECKs, unique/secondary indexes and enforced foreign keys
as Semantik's PostgreSQL schema, and FTS5 (porter) where PostgreSQL has \`tsvector\` + GIN.
Durability: SQLite WAL + synchronous=FULL; PostgreSQL synchronous_commit=on (both fsync every commit).
SQLite: one connection per client thread, busy_timeout 5 s (SQLAlchemy's default), BEGIN IMMEDIATE.
PostgreSQL: local server (default settings), Semantik's unit of work + repositories, pool size = N.
Shapes: *tight* = statements back to back; *request-shaped* = ${THINK_MS} ms of awaited work after the
document row, inside the transaction, as in an application request.

| shape | clients N | store | ops/s | p50 ms | p99 ms | errors (SQLITE_BUSY / failed tx) |
|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}

PostgreSQL / SQLite throughput:
${ratios.join('\n')}

Targets (issue 8): PostgreSQL ≥ SQLite/2 at N=1; ≥ 3× SQLite at N=16 with zero errors.
${verdicts.join('\n')}

Reading it. *Tight*: SQLite runs in the client's own thread, so a transaction costs it no round
trip; PostgreSQL pays 4 (BEGIN, document, chunks, COMMIT, ~0.15 ms each on loopback) and does the
same indexing work (to_tsvector ≈ 0.09 ms per chunk, GIN, 9 b-trees, the foreign-key checks) in a server
sharing the machine's 2 cores with the clients. One serial client is where an embedded store should
win, and does. As clients are added SQLite stays one writer at a time while PostgreSQL commits them
in parallel and groups their WAL flushes; on 2 cores PostgreSQL passes SQLite at N=16, CPU-bound well
short of 3×. *Request-shaped*: SQLite holds its single write lock across the awaited gap, so its
throughput is capped near 1 / (gap + write) whatever N, and waiters poll with growing sleeps
(SQLite's busy handler, no queue) — p99 in seconds, and transactions failing with SQLITE_BUSY after
the 5 s busy_timeout. PostgreSQL locks only the rows written, so the gaps overlap.
Reproduce: \`npm run bench:concurrency -- --seconds ${SECONDS} --think-ms ${THINK_MS}\`.
`,
  );
}

await main();
