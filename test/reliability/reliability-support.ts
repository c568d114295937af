/**
 * Shared pieces of the reliability suite (test/reliability/*.spec.ts): worker child processes,
 * a throwaway PostgreSQL cluster, and a content fingerprint of tables for "nothing changed" checks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';

export const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'semantik.js');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker printed its start-up line (it is then claiming operations). */
  ready: Promise<void>;
  stderr(): string;
  /** SIGTERM (drain), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Root reads any file whatever its mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a test that needs
 * real permission errors runs the worker without those two capabilities — util-linux's setpriv
 * drops them from the bounding and inheritable sets — and then root is refused a mode-000 file like
 * any user. A non-root test run needs nothing.
 */
function withoutFilePermissionOverride(command: string[]): string[] {
  if (process.getuid?.() !== 0) return command;
  const caps = '-dac_override,-dac_read_search';
  return ['setpriv', `--bounding-set=${caps}`, `--inh-caps=${caps}`, ...command];
}

export interface SpawnWorkerOptions {
  /** Run the worker so file modes apply to it even when the tests run as root. */
  respectFileModes?: boolean;
}

/** `node bin/semantik.js worker` as a child process, from the TypeScript sources. */
export function spawnWorker(env: Record<string, string>, args: string[] = ['--concurrency', '1'], options: SpawnWorkerOptions = {}): WorkerProcess {
  const command = [process.execPath, BIN, 'worker', ...args];
  const [file, ...argv] = options.respectFileModes ? withoutFilePermissionOverride(command) : command;
  const child = spawn(file!, argv, {
    env: { ...process.env, SEMANTIK_FROM_SOURCE: '1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  child.stderr!.on('data', (d) => {
    stderr += String(d);
    if (/semantik worker .*: running/.test(stderr)) resolveReady();
  });
  child.once('exit', (code, signal) => rejectReady(new Error(`worker exited (${code ?? signal}) before it was ready:\n${stderr}`)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ready,
    stderr: () => stderr,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Row count plus an md5 over every row's text form, in primary-key order, per table: equal
 * fingerprints before and after mean the requests in between changed nothing in these tables.
 * Table names come from a fixed list in the test, never from request data.
 */
export async function tableFingerprints(db: Kysely<any>, tables: readonly string[]): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of tables) {
    const { rows } = await sql<{ rows: number; md5: string | null }>`
      SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5
      FROM ${sql.table(table)} AS t`.execute(db);
    out[table] = { rows: rows[0]!.rows, md5: rows[0]!.md5 ?? '' };
  }
  return out;
}

/** PostgreSQL 15 binaries of the Debian package (the same major as the shared test server). */
export const PG_BIN = process.env.SEMANTIK_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export function throwawayClusterUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb')) || !fs.existsSync(path.join(PG_BIN, 'pg_ctl'))) return `no initdb/pg_ctl in ${PG_BIN}`;
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no "postgres" user for initdb';
  return undefined;
}

/**
 * A PostgreSQL cluster of its own in a temp dir on a free port (never 5432), for tests that stop
 * and start the server. initdb refuses to run as root, so as root the cluster belongs to the
 * `postgres` user (runuser). fsync is off: the data is thrown away.
 */
export class ThrowawayCluster {
  readonly dir: string;
  readonly dataDir: string;
  private readonly asPostgres = process.getuid?.() === 0;

  private constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-pgcluster-'));
    this.dataDir = path.join(this.dir, 'data');
    if (this.asPostgres) spawnSync('chown', ['postgres', this.dir]);
  }

  static async create(): Promise<ThrowawayCluster> {
    const cluster = new ThrowawayCluster(await freePort());
    cluster.run('initdb', ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private run(tool: string, args: string[]): void {
    const binary = path.join(PG_BIN, tool);
    const [command, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
    const result = spawnSync(command, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr || result.stdout}`);
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    this.run('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', 'start']);
    // pg_ctl -w returns when the postmaster accepts connections; confirm over TCP like the app.
    for (let i = 0; i < 100; i++) {
      const client = new pg.Client({ connectionString: this.url() });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        await sleep(50);
      }
    }
    throw new Error(`throwaway cluster on port ${this.port} did not accept connections`);
  }

  /** `fast`: active transactions are rolled back and clients disconnected, as in a routine restart. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  async query<T = Record<string, unknown>>(text: string, database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
