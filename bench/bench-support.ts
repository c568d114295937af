import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';

/** Shared plumbing for `npm run bench:*`: a throwaway database on the server and report writing. */
export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  config: AppConfig;
  database: Database;
  drop(): Promise<void>;
}

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(name: string, env: Record<string, string> = {}): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad bench database name ${name}`);
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  const config = loadConfig({ SEMANTIK_DATA_DIR: os.tmpdir(), LOG_LEVEL: 'silent', ...env, DATABASE_URL: url.toString() });
  const database = await openDatabase(config);
  await migrateToLatest(database.db);
  return {
    url: url.toString(),
    config,
    database,
    drop: async () => {
      await database.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** Writes bench/reports/<name>.md and echoes it; docs/benchmarks.md quotes these reports. */
export function writeReport(name: string, markdown: string): void {
  const dir = path.resolve(import.meta.dirname, 'reports');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.md`);
  fs.writeFileSync(file, markdown.trimEnd() + '\n');
  console.log(markdown);
  console.log(`\nreport written to ${path.relative(process.cwd(), file)}`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * `semantik serve --no-worker` in its own process on an ephemeral port (so the load generator does
 * not share the server's event loop), resolved once it prints the URL it listens on.
 */
export async function startBenchServer(
  databaseUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const bin = path.resolve(import.meta.dirname, '..', 'bin', 'semantik.js');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--no-worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SEMANTIK_DATA_DIR: dataDir, LOG_LEVEL: 'error', NODE_ENV: 'production', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /running at (http:\/\/\S+?) /.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000).unref();
  });
  return { child, url };
}
