import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BackupError } from './backup.errors.js';

/**
 * Finding and running pg_dump / pg_restore. pg_dump refuses to dump a server of a newer major
 * version ("server version mismatch"), and pg_restore cannot read archives written by a newer
 * pg_dump, so both must be at least the server's major version; we check first and name the fix.
 */
export type PgToolName = 'pg_dump' | 'pg_restore';

export interface PgTool {
  name: PgToolName;
  path: string;
  major: number;
  version: string;
}

const execFileAsync = promisify(execFile);

/** "pg_dump (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+1)" → {major 16, version "16.4"}; 9.6.x → major 9. */
export function parsePgToolVersion(output: string): { major: number; version: string } | undefined {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return { major: Number(match[1]), version: [match[1], match[2], match[3]].filter((p) => p !== undefined).join('.') };
}

/** Where distributions put versioned client tools, highest version first after PATH. */
function candidatePaths(name: PgToolName): string[] {
  const versionedDirs: string[] = [];
  for (const [root, pattern] of [
    ['/usr/lib/postgresql', /^\d+$/], // Debian, Ubuntu
    ['/usr', /^pgsql-\d+$/], // RHEL, Fedora (PGDG)
    ['/opt/homebrew/opt', /^postgresql@\d+$/],
    ['/usr/local/opt', /^postgresql@\d+$/],
  ] as const) {
    try {
      for (const entry of fs.readdirSync(root)) if (pattern.test(entry)) versionedDirs.push(path.join(root, entry, 'bin'));
    } catch {
      // not this platform
    }
  }
  const majorOf = (dir: string) => Number(/(\d+)\/bin$/.exec(dir)?.[1] ?? 0);
  versionedDirs.sort((a, b) => majorOf(b) - majorOf(a));
  return [name, ...versionedDirs.map((dir) => path.join(dir, name))];
}

async function probe(name: PgToolName, candidate: string): Promise<PgTool | undefined> {
  try {
    const { stdout } = await execFileAsync(candidate, ['--version'], { timeout: 10_000 });
    const parsed = parsePgToolVersion(stdout);
    return parsed ? { name, path: candidate, ...parsed } : undefined;
  } catch {
    return undefined;
  }
}

function installHint(serverMajor: number): string {
  return (
    `Fix: install the PostgreSQL ${serverMajor} client tools (Debian/Ubuntu: \`apt-get install postgresql-client-${serverMajor}\`, ` +
    `from the PGDG apt repository if your release lacks it; RHEL: \`dnf install postgresql${serverMajor}\`; ` +
    `macOS: \`brew install postgresql@${serverMajor}\`), or point at them with --pg-bin-dir ` +
    `(e.g. /usr/lib/postgresql/${serverMajor}/bin). The Docker image ships matching tools.`
  );
}

/** The first tool with major ≥ serverMajor: --pg-bin-dir if given, else PATH, else versioned install dirs. */
export async function findPgTool(name: PgToolName, serverMajor: number, binDir?: string): Promise<PgTool> {
  const candidates = binDir ? [path.join(binDir, name)] : candidatePaths(name);
  const found: PgTool[] = [];
  for (const candidate of candidates) {
    const tool = await probe(name, candidate);
    if (!tool) continue;
    if (tool.major >= serverMajor) return tool;
    found.push(tool);
  }
  if (found.length === 0) {
    throw new BackupError(
      `${name} was not found${binDir ? ` in ${binDir}` : ' (PATH and the usual install directories)'}; ` +
        `Semantik needs it to back up or restore a PostgreSQL server.\n  ${installHint(serverMajor)}`,
    );
  }
  const seen = found.map((t) => `${t.version} (${t.path})`).join(', ');
  throw new BackupError(
    `${name} is older than the server: found ${seen}, the server is PostgreSQL ${serverMajor}. ` +
      `${name} must be at least the server's major version.\n  ${installHint(serverMajor)}`,
  );
}

/**
 * libpq connection settings for a child process: the URL without its password (a command line
 * is visible to every user in `ps`), the password in PGPASSWORD.
 */
export function connectionForTool(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password !== undefined) env.PGPASSWORD = password;
  return { dbname: url.toString(), env };
}

/** Runs a tool to completion; a non-zero exit becomes a BackupError carrying the tool's last words. */
export function runPgTool(tool: PgTool, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep the tail: the first error is what matters and --exit-on-error stops right after it.
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (err) => reject(new BackupError(`Could not run ${tool.path}: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      reject(new BackupError(`${what} failed (${tool.name} ${tool.version} exited with ${signal ?? code}):\n${stderr.trim() || '(no output)'}`));
    });
  });
}
