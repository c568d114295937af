/**
 * bench:api — HTTP throughput of the API on a real server process: `semantik serve --no-worker`
 * against a fresh PostgreSQL database, driven by autocannon from this process (so the load
 * generator does not share the server's event loop). Measures GET /api/v2/collections (a page of
 * 50 out of 200) and POST /api/v2/collections (unique names), then checks that the pool's in-use
 * count returns to 0. Run: npm run bench:api [-- --duration 10 --connections 10]
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase, fmt, machineLine, startBenchServer, writeReport } from './bench-support.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const args = process.argv.slice(2);
const argValue = (flag: string, fallback: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const DURATION = argValue('--duration', 10);
const CONNECTIONS = argValue('--connections', 10);
const SEED_COLLECTIONS = 200;
const JWT_SECRET_KEY = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<any> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

async function main() {
  // This process only creates and drops the database: one connection, the server has its own pool.
  const bench = await createBenchDatabase('semantik_bench_api', { DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '0' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-bench-api-'));
  const server = await startBenchServer(bench.url, dataDir, { JWT_SECRET_KEY });
  try {
    const base = server.url;
    await json(`${base}/api/auth/register`, { method: 'POST', body: JSON.stringify({ username: 'bench', email: 'bench@example.test', password: 'bench-password' }) });
    const { access_token: token } = await json(`${base}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'bench', password: 'bench-password' }) });
    for (let i = 0; i < SEED_COLLECTIONS; i++) {
      await json(`${base}/api/v2/collections`, { method: 'POST', token, body: JSON.stringify({ name: `seed-${i}`, embedding_model: 'deterministic-hash-384' }) });
    }

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const runs: { label: string; result: AutocannonResult }[] = [];
    // Warm-up: JIT, pool connections, PostgreSQL caches.
    await autocannon({ url: `${base}/api/v2/collections`, headers, connections: CONNECTIONS, duration: 2 });
    runs.push({
      label: `GET /api/v2/collections (page of 50 of ${SEED_COLLECTIONS})`,
      result: await autocannon({ url: `${base}/api/v2/collections?per_page=50`, headers, connections: CONNECTIONS, duration: DURATION }),
    });
    runs.push({
      label: 'POST /api/v2/collections (unique names)',
      result: await autocannon({
        url: `${base}/api/v2/collections`,
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'bench-[<id>]', embedding_model: 'deterministic-hash-384' }),
        idReplacement: true,
        connections: CONNECTIONS,
        duration: DURATION,
      }),
    });

    // The pool must come back to idle: every request's unit of work released its connection.
    let inUse = NaN;
    let waiting = NaN;
    let total = NaN;
    for (let i = 0; i < 50; i++) {
      const text = await (await fetch(`${base}/metrics`)).text();
      inUse = metric(text, 'semantik_db_pool_in_use');
      waiting = metric(text, 'semantik_db_pool_waiting');
      total = metric(text, 'semantik_db_pool_max');
      if (inUse === 0 && waiting === 0) break;
      await sleep(100);
    }
    const leaked = !(inUse === 0 && waiting === 0);

    const rows = runs.map(({ label, result }) => {
      const errors = result.errors + result.timeouts + result.non2xx;
      return `| ${label} | ${fmt(result.requests.average)} | ${fmt(result.latency.p50, 1)} | ${fmt(result.latency.p99, 1)} | ${fmt(result.requests.total)} | ${errors} |`;
    });
    writeReport(
      'api',
      `## bench:api — HTTP API throughput (autocannon against \`semantik serve\`)

Machine: ${machineLine()}. Server: separate process, \`NODE_ENV=production\`, PostgreSQL 15 local,
pool DB_POOL_SIZE=20 + overflow 40 (max ${total}). ${CONNECTIONS} connections, ${DURATION} s per route after a 2 s warm-up,
JWT bearer auth (every request verifies the token and reads its user, then runs the route's own unit of work).

| route | req/s | p50 ms | p99 ms | requests | errors / non-2xx |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

Pool after the run: in use ${inUse}, waiting ${waiting} — ${leaked ? '**LEAK: connections still checked out**' : 'no connection leaked (in use returned to 0)'}.
`,
    );
    if (leaked) process.exitCode = 1;
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
    await bench.drop().catch(() => {});
  }
}

await main();
