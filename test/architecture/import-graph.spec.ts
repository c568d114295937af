import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The rooms' rules, read from the import graph of `src/` (production files only; specs and
 * `*.test.ts` helpers may reach anywhere):
 * - no cycle between files (the last one was indexing/embedding-provider.cache ↔ the job context);
 * - `src/jobs/` — the generic queue — imports no feature folder: it knows job types only through
 *   the registry the composition root (src/worker/, src/http/) hands it;
 * - no service or repository imports `src/http/` (the HTTP layer sits on top, never below).
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

/** What the generic queue may import: infrastructure, never a capability. */
const JOBS_MAY_IMPORT = new Set(['jobs', 'db', 'errors', 'config', 'shared']);

type Graph = Map<string, string[]>;

function productionFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return productionFiles(full);
    return /\.ts$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Static `import … from`, `export … from`, side-effect `import '…'` and `import('…')`, relative only. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export function importsOf(file: string, source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (!specifier) continue;
    const resolved = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
    const candidates = [resolved, `${resolved}.ts`, path.join(resolved, 'index.ts')];
    const target = candidates.find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
    if (target) found.push(target);
  }
  return found;
}

function buildGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of productionFiles(SRC)) graph.set(file, importsOf(file, fs.readFileSync(file, 'utf8')));
  return graph;
}

/** Every cycle's files, found by a depth-first walk (each reported once, from its first file). */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

const rel = (file: string) => path.relative(SRC, file);
const folderOf = (file: string) => rel(file).split(path.sep)[0]!;

describe('import graph of src/', () => {
  const graph = buildGraph();

  it('reads the imports it polices (the parser is not blind)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(importsOf(path.join(SRC, 'x/a.ts'), "import type { A } from '../jobs/job.context.js';\nexport { b } from './b.js';")).toEqual([
      path.join(SRC, 'jobs/job.context.ts'),
    ]);
    expect(findCycles(new Map([['a', ['b']], ['b', ['a']], ['c', []]]))).toEqual([['a', 'b', 'a']]);
  });

  it('has no cycle', () => {
    expect(findCycles(graph).map((cycle) => cycle.map(rel).join(' → '))).toEqual([]);
  });

  it('src/jobs/ imports no feature folder', () => {
    const offending = [...graph]
      .filter(([file]) => folderOf(file) === 'jobs')
      .flatMap(([file, imports]) => imports.filter((target) => !JOBS_MAY_IMPORT.has(folderOf(target))).map((target) => `${rel(file)} → ${rel(target)}`));
    expect(offending).toEqual([]);
  });

  // `Principal` lives in src/access/, so services take it without knowing about HTTP.
  it('no service or repository imports src/http/', () => {
    const offending = [...graph]
      .filter(([file]) => /\.(service|repository)\.ts$/.test(file) && folderOf(file) !== 'http')
      .flatMap(([file, imports]) => imports.filter((target) => folderOf(target) === 'http').map((target) => `${rel(file)} → ${rel(target)}`));
    expect(offending).toEqual([]);
  });
});
