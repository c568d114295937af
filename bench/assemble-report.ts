/**
 * Builds docs/benchmarks.md from the reports the bench scripts wrote to bench/reports/*.md, in a
 * fixed order, so the document always shows the numbers of the last run of each bench.
 * Run: npm run bench:report
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const ORDER = ['db', 'api', 'embedding', 'ingest', 'search', 'search-embedded', 'search-eval', 'search-eval-sweep', 'migrate', 'concurrency'];
const reportsDir = path.join(root, 'bench', 'reports');
const available = fs.readdirSync(reportsDir).filter((f) => f.endsWith('.md')).map((f) => f.replace(/\.md$/, ''));
const names = [...ORDER.filter((n) => available.includes(n)), ...available.filter((n) => !ORDER.includes(n)).sort()];

const intro = `# Benchmarks

Speed and memory targets live here, never in tests. Every section below is the report a bench script
wrote on its last run (\`bench/reports/<name>.md\`); \`npm run bench:report\` reassembles this file.
The machine is the project's standard one: 2 cores, 24 GiB, PostgreSQL 15 + pgvector on the same host.
Other work on the machine inflates latencies; reports record the load where it mattered.

| bench | command | target |
|---|---|---|
| bulk chunk insert | \`npm run bench:db\` | repository ≥ 70% of raw COPY |
| API load | \`npm run bench:api\` | req/s, p50/p99; no leaked connection |
| embedding | \`npm run bench:embed\` | chunks/s per core |
| ingestion | \`npm run bench:ingest\` | docs/s, chunks/s, 1 vs 2 workers; write ≤ 15% of wall time |
| search | \`npm run bench:search\` | hybrid p95 ≤ 50 ms at 100k chunks; overhead ≤ 30%; recall@10 ≥ 0.95 |
| embedded search | \`npm run bench:search:embedded\` | PGlite hybrid p95 ≤ 50 ms at ~20k chunks including the query embedding |
| retrieval quality | \`npm run eval:search\` | on python3.11-doc and nodejs-doc: keyword ≥ 1.15× and hybrid ≥ 1.4× the MRR@10 of whole-document BM25 (FTS5) |
| SQLite migration | \`npm run bench:migrate\` | ≥ 60% of raw COPY |
| SQLite vs PostgreSQL writes | \`npm run bench:concurrency\` | PG ≥ SQLite/2 at N=1, ≥ 3× at N=16 (per transaction shape) |
`;

const body = names.map((name) => fs.readFileSync(path.join(reportsDir, `${name}.md`), 'utf8').trim().replace(/^# /gm, '## ')).join('\n\n');
fs.writeFileSync(path.join(root, 'docs', 'benchmarks.md'), `${intro}\n${body}\n`);
console.log(`docs/benchmarks.md written from ${names.length} reports: ${names.join(', ')}`);
