/**
 * bench:mcp — MCP search latency next to the HTTP search, in the same run, on one server process
 * (`semantik serve --no-worker`, PostgreSQL): the same query, collection and API key through
 * `POST /api/v2/search` and through the MCP `search` tool at `POST /mcp` (a JSON-RPC tools/call,
 * which is what a stateless client sends per call once connected). Requests alternate one by one,
 * so drift (caches, JIT, the machine's other load) hits both sides alike; timed with
 * performance.now() for sub-millisecond percentiles. Target (issue 19): MCP p50 ≤ HTTP p50 + 10%.
 * Run: npm run bench:mcp [-- --requests 400 --documents 2000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddingProvider } from '../src/ingest/embedding/embedding.registry.js';
import { seedCollection, type FixtureDocument } from '../test/support/search-fixtures.js';
import { createBenchDatabase, fmt, machineLine, percentile, startBenchServer, writeReport } from './bench-support.js';

const args = process.argv.slice(2);
const argValue = (flag: string, fallback: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const REQUESTS = argValue('--requests', 400);
const DOCUMENTS = argValue('--documents', 2000);
const WARMUP = 50;
const K = 10;
const MODEL = 'deterministic-hash-384';
const JWT_SECRET_KEY = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const QUERY = 'harbour tide logbook ships';

const WORDS = (
  'harbour tide wind ship logbook lighthouse keeper lamp storm anchor sail crew cargo dock pier rope ' +
  'compass chart current reef gull fog bell mast hull deck captain voyage island coast beacon signal'
).split(' ');

/** Deterministic synthetic documents: two chunks of 40 words each from a small vocabulary. */
function corpus(count: number): FixtureDocument[] {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sentence = () => Array.from({ length: 40 }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
  return Array.from({ length: count }, (_, i) => ({ path: `/bench/doc-${i}.txt`, chunks: [sentence(), sentence()] }));
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<{ ms: number; json: any }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = await res.json();
  const ms = performance.now() - started;
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return { ms, json };
}

interface Row {
  label: string;
  samples: number[];
}

async function main() {
  const bench = await createBenchDatabase('semantik_bench_mcp', { DB_POOL_SIZE: '1', DB_MAX_OVERFLOW: '0' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-bench-mcp-'));
  const server = await startBenchServer(bench.url, dataDir, { JWT_SECRET_KEY });
  const embedder = createEmbeddingProvider(MODEL);
  try {
    const base = server.url;
    const plain = { 'content-type': 'application/json' };
    await post(`${base}/api/auth/register`, plain, { username: 'bench', email: 'bench@example.test', password: 'bench-password' });
    const { json: login } = await post(`${base}/api/auth/login`, plain, { username: 'bench', password: 'bench-password' });
    const session = { authorization: `Bearer ${login.access_token}` };
    const me = await (await fetch(`${base}/api/auth/me`, { headers: session })).json();
    const { json: key } = await post(`${base}/api/v2/api-keys`, session, { name: 'bench', scope: 'read' });
    const auth = { authorization: `Bearer ${key.key}` };
    const collection = await seedCollection(bench.database, { ownerId: me.id, name: 'bench-docs', embedder, documents: corpus(DOCUMENTS) });

    const rows: Row[] = [];
    const overheads: string[] = [];
    for (const searchType of ['keyword', 'hybrid'] as const) {
      const httpBody = { collection_uuids: [collection.id], query: QUERY, k: K, search_type: searchType };
      let id = 0;
      const mcpBody = () => ({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/call',
        params: { name: 'search', arguments: { collections: [collection.id], query: QUERY, k: K, search_type: searchType } },
      });
      const mcpHeaders = { ...auth, accept: 'application/json, text/event-stream' };
      const http: number[] = [];
      const mcp: number[] = [];
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const a = await post(`${base}/api/v2/search`, auth, httpBody);
        const b = await post(`${base}/mcp`, mcpHeaders, mcpBody());
        if (b.json.error || b.json.result?.isError) throw new Error(`MCP search failed: ${JSON.stringify(b.json)}`);
        if (b.json.result.structuredContent.results.length !== a.json.results.length) throw new Error('MCP and HTTP answered different result counts');
        if (i >= WARMUP) {
          http.push(a.ms);
          mcp.push(b.ms);
        }
      }
      http.sort((x, y) => x - y);
      mcp.sort((x, y) => x - y);
      rows.push({ label: `HTTP POST /api/v2/search (${searchType})`, samples: http }, { label: `MCP search tool, POST /mcp (${searchType})`, samples: mcp });
      const overhead = (percentile(mcp, 50) / percentile(http, 50) - 1) * 100;
      overheads.push(`${searchType}: MCP p50 ${fmt(percentile(mcp, 50), 2)} ms vs HTTP ${fmt(percentile(http, 50), 2)} ms → overhead ${fmt(overhead, 1)}% (${overhead <= 10 ? 'within' : '**over**'} the 10% target)`);
    }

    const table = rows.map(({ label, samples }) => `| ${label} | ${fmt(percentile(samples, 50), 2)} | ${fmt(percentile(samples, 95), 2)} | ${fmt(percentile(samples, 99), 2)} | ${fmt(samples.length)} |`);
    writeReport(
      'mcp',
      `## bench:mcp — MCP search latency next to HTTP search (same server, same run)

Machine: ${machineLine()}. Server: \`semantik serve --no-worker\` in its own process, \`NODE_ENV=production\`,
PostgreSQL 15 local. Collection: ${fmt(DOCUMENTS)} documents × 2 chunks, ${MODEL} embeddings. Query "${QUERY}", k = ${K},
read-only API key as Bearer on both. One request at a time, HTTP and MCP alternating, ${WARMUP} warm-up pairs then ${fmt(REQUESTS)} measured pairs
per search type; client-side wall time (fetch + JSON parse) in ms.

| request | p50 ms | p95 ms | p99 ms | requests |
|---|---:|---:|---:|---:|
${table.join('\n')}

${overheads.map((line) => `- ${line}`).join('\n')}
`,
    );
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await embedder.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await bench.drop().catch(() => {});
  }
}

await main();
