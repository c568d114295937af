import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { startServer, type RunningServer } from '../../src/http/serve.commands.js';
import { startWorker } from '../../src/worker/worker.js';
import { makeTempDir, prose } from '../fixtures/document-files.js';
import { testConfig } from '../support/test-databases.js';
import { throwawayClusterUnavailable, ThrowawayCluster } from './reliability-support.js';

/**
 * PostgreSQL restarted under load. The suite starts its own cluster (initdb + pg_ctl in a temp
 * dir, on a free port) so it can stop it without disturbing the shared test server. The app runs
 * in-process exactly as `semantik serve` does (startServer with the in-process worker) and is
 * indexing 200 files, one per batch, when the cluster is stopped (`pg_ctl -m fast`: sessions are
 * terminated, in-flight transactions roll back), kept down for 3 s, and started again.
 *
 * Proves: while the database is down the API answers 503 `database_unavailable` (never a 500,
 * never a hang past DB_POOL_TIMEOUT); once it is back, readiness and an authenticated list route
 * answer 200 again without any restart of the app; the interrupted operation resumes and
 * completes; every file ends up as exactly one document with one set of chunks.
 */
const FILES = 200;
const DOWN_FOR_MS = 3_000;
const unavailable = throwawayClusterUnavailable();

interface Sample {
  at: number;
  route: 'ready' | 'list';
  status: number;
  code?: string;
  ms: number;
}

let cluster: ThrowawayCluster | undefined;
let database: Database | undefined;
let server: RunningServer | undefined;
let root: string;
const logLines: string[] = [];
const savedBatchEnv = process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;

beforeAll(async () => {
  if (unavailable) return;
  cluster = await ThrowawayCluster.create();
  await cluster.query('CREATE DATABASE semantik');
  root = makeTempDir('semantik-restart-');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(root, `page-${String(i).padStart(4, '0')}.md`), `# Page ${i}\n\n${prose('lantern', 2, i + 1)}`);
  // One document per batch: 200 commits, so the restart lands mid-operation.
  process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = '1';
});

afterAll(async () => {
  if (process.env.RELIABILITY_LOG) fs.writeFileSync(process.env.RELIABILITY_LOG, logLines.join(''));
  await server?.close().catch(() => {});
  await database?.close().catch(() => {});
  cluster?.destroy();
  if (root) fs.rmSync(root, { recursive: true, force: true });
  if (savedBatchEnv === undefined) delete process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS;
  else process.env.SEMANTIK_INDEX_BATCH_DOCUMENTS = savedBatchEnv;
});

async function http(base: string, route: string, init: RequestInit = {}): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now();
  const res = await fetch(base + route, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

describe.skipIf(unavailable)(`PostgreSQL restart while the API and the worker are busy${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('503 while down, 200 again by itself after, the operation resumes and completes, nothing lost or duplicated', async () => {
    const config = testConfig({
      DATABASE_URL: cluster!.url('semantik'),
      JWT_SECRET_KEY: 'restart-test-secret-0123456789-abcdefghijklmnop',
      SEMANTIK_DOCUMENT_ROOTS: root,
      DEFAULT_EMBEDDING_MODEL: 'deterministic-hash-384',
      DB_POOL_SIZE: '2',
      DB_MAX_OVERFLOW: '4',
      DB_POOL_TIMEOUT: '1',
      LOG_LEVEL: 'warn',
    });
    database = await openDatabase(config, { onPoolError: () => {} });
    // Warnings and errors are kept for the failure message: they say what the app went through.
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    server = await startServer(config, database, logger, { host: '127.0.0.1', port: 0, startWorker });
    const base = server.url;

    const credentials = { username: 'restart_user', email: 'restart@example.test', password: 'restart-password' };
    expect((await http(base, '/api/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) })).status).toBe(201);
    const login = await http(base, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
    const auth = { authorization: `Bearer ${login.body.access_token}` };
    const jsonAuth = { ...auth, 'content-type': 'application/json' };
    const collection = await http(base, '/api/v2/collections', { method: 'POST', headers: jsonAuth, body: JSON.stringify({ name: 'restart', embedding_model: 'deterministic-hash-384', chunk_size: 400, chunk_overlap: 50 }) });
    expect(collection.status).toBe(201);
    const added = await http(base, `/api/v2/collections/${collection.body.id}/sources`, { method: 'POST', headers: jsonAuth, body: JSON.stringify({ source_path: root }) });
    expect(added.status, JSON.stringify(added.body)).toBe(202);
    const operationId: string = added.body.id;

    const progress = async () => (await http(base, `/api/v2/operations/${operationId}`, { headers: auth })).body;
    for (let i = 0; ; i++) {
      const op = await progress();
      if (op.progress.processed_files >= 20) break;
      if (i > 600) throw new Error(`no progress before the restart: ${JSON.stringify(op)}`);
      await sleep(20);
    }

    // Poll readiness and an authenticated list route every 100 ms through the whole restart.
    const samples: Sample[] = [];
    const t0 = performance.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const [ready, list] = await Promise.all([http(base, '/api/health/ready'), http(base, '/api/v2/collections', { headers: auth })]);
        const at = performance.now() - t0;
        samples.push({ at, route: 'ready', status: ready.status, code: ready.body?.code, ms: ready.ms });
        samples.push({ at, route: 'list', status: list.status, code: list.body?.code, ms: list.ms });
        await sleep(100);
      }
    })();

    await sleep(300);
    const stopAt = performance.now() - t0;
    cluster!.stop('fast');
    const downAt = performance.now() - t0;
    await sleep(DOWN_FOR_MS);
    await cluster!.start();
    const upAt = performance.now() - t0;

    // Recovery: the first moment both routes answer 200 after the server is back.
    let recoveredAt: number | undefined;
    for (let i = 0; i < 300 && recoveredAt === undefined; i++) {
      await sleep(50);
      const last = samples.filter((s) => s.at > upAt);
      const readyOk = last.find((s) => s.route === 'ready' && s.status === 200);
      const listOk = last.find((s) => s.route === 'list' && s.status === 200);
      if (readyOk && listOk) recoveredAt = Math.max(readyOk.at, listOk.at);
    }
    await sleep(300);
    polling = false;
    await poller;
    expect(recoveredAt, `API did not recover within 15 s; samples after restart: ${JSON.stringify(samples.filter((s) => s.at > upAt).slice(0, 10))}`).toBeDefined();

    const wrong = samples.filter((s) => !(s.status === 200 || (s.status === 503 && s.code === 'database_unavailable')));
    expect(wrong, logLines.filter((l) => /unhandled error|request failed/.test(l)).join('').slice(0, 6000)).toEqual([]);
    const whileDown = samples.filter((s) => s.at > downAt && s.at < upAt);
    expect(whileDown.filter((s) => s.status === 503).length).toBeGreaterThan(4);
    expect(whileDown.filter((s) => s.route === 'ready' && s.at > downAt + 500).every((s) => s.status === 503)).toBe(true);
    // A hang detector, not a speed target: a checkout waits at most DB_POOL_TIMEOUT (1 s) per try.
    const slowest = Math.max(...samples.map((s) => s.ms));
    expect(slowest).toBeLessThan(10_000);

    // The operation resumes by itself and completes.
    let finished: any;
    for (let i = 0; i < 1200; i++) {
      const op = await http(base, `/api/v2/operations/${operationId}`, { headers: auth });
      if (op.status === 200 && ['completed', 'failed', 'cancelled'].includes(op.body.status)) {
        finished = op.body;
        break;
      }
      await sleep(50);
    }
    const completedAt = performance.now() - t0;
    expect(finished, `operation did not finish within 60 s of the restart:\n${logLines.join('').slice(0, 4000)}`).toBeDefined();
    expect(finished).toMatchObject({ status: 'completed', progress: { total_files: FILES, processed_files: FILES, failed_files: 0 } });

    const db = database!.db;
    const docs = await db.selectFrom('documents').select(['file_path', 'status', 'chunk_count']).where('collection_id', '=', collection.body.id).execute();
    expect(docs).toHaveLength(FILES);
    expect(new Set(docs.map((d) => d.file_path)).size).toBe(FILES);
    expect(docs.every((d) => d.status === 'completed')).toBe(true);
    const { rows } = await sql<{ chunks: number; positions: number; embeddings: number }>`
      SELECT count(*)::int AS chunks, count(DISTINCT (k.document_id, k.generation, k.chunk_index))::int AS positions, count(e.chunk_id)::int AS embeddings
      FROM chunks k LEFT JOIN chunk_embeddings e ON e.chunk_id = k.id WHERE k.collection_id = ${collection.body.id}`.execute(db);
    const expected = docs.reduce((n, d) => n + d.chunk_count, 0);
    expect(rows[0]).toEqual({ chunks: expected, positions: expected, embeddings: expected });
    const opRow = await db.selectFrom('operations').select(['attempts']).where('id', '=', operationId).executeTakeFirstOrThrow();

    const figures = {
      stopAfterMs: Math.round(stopAt),
      downForMs: Math.round(upAt - downAt),
      first503AfterStopMs: Math.round((whileDown.find((s) => s.status === 503)?.at ?? NaN) - downAt),
      apiRecoveredAfterStartMs: Math.round(recoveredAt! - upAt),
      operationCompletedAfterStartMs: Math.round(completedAt - upAt),
      attempts: opRow.attempts,
      samples: samples.length,
      status503: samples.filter((s) => s.status === 503).length,
      slowestRequestMs: Math.round(slowest),
    };
    console.info('[reliability] postgres restart', figures);
  });
});
