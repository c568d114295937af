import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, ConfigError, loadConfig } from '../../src/config/config.js';
import { assertProductionReady } from '../../src/config/production-guards.js';

/**
 * The deployment files, checked without a Docker engine: Debian's docker-compose (v1, Python)
 * parses and interpolates the compose files exactly as `docker compose config` would reject a
 * broken one; the Dockerfile is checked for the properties the runbook relies on.
 */
const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
const MISSING =
  'docker-compose is not installed, so the compose files cannot be validated. ' +
  'Install it with `apt-get install -y docker-compose` (scripts/test.sh does this).';

/** Only the variables we pass, so a developer's shell or .env cannot make the check pass or fail. */
function compose(args: string[], envFile: string) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() };
  return spawnSync('docker-compose', ['--project-directory', root, '--env-file', envFile, ...args], { cwd: root, env, encoding: 'utf8' });
}

/** docker-compose's normalised output as JSON, parsed by the YAML library docker-compose itself uses. */
function composeConfig(file: string, envFile: string): any {
  const result = compose(['-f', file, 'config'], envFile);
  expect(result.status, result.stderr).toBe(0);
  const json = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: result.stdout,
    encoding: 'utf8',
  });
  expect(json.status, json.stderr).toBe(0);
  return JSON.parse(json.stdout);
}

function emptyEnvFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-compose-')), 'empty.env');
  fs.writeFileSync(file, '');
  return file;
}

describe('compose files', () => {
  // In CI (scripts/test.sh installs it) a missing binary is a failure, not a silent skip.
  it.runIf(!hasCompose && process.env.CI)('docker-compose is installed', () => {
    expect.fail(MISSING);
  });

  describe.skipIf(!hasCompose)('parsed by docker-compose', () => {
    it('docker-compose.yml is valid with the variables of .env.example', () => {
      const result = compose(['-f', 'docker-compose.yml', 'config', '-q'], path.join(root, '.env.example'));
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it('docker-compose.postgres.yml is valid', () => {
      const result = compose(['-f', 'docker-compose.postgres.yml', 'config', '-q'], emptyEnvFile());
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it('docker-compose.yml refuses to start without the two secrets', () => {
      const result = compose(['-f', 'docker-compose.yml', 'config', '-q'], emptyEnvFile());
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/set POSTGRES_PASSWORD in \.env|set JWT_SECRET_KEY in \.env/);
    });

    it('has postgres (pgvector, health check, volume), a one-shot migrate, api without worker, scalable workers', () => {
      const config = composeConfig('docker-compose.yml', path.join(root, '.env.example'));
      const { postgres, migrate, api, worker } = config.services;
      expect(Object.keys(config.services).sort()).toEqual(['api', 'migrate', 'postgres', 'worker']);

      expect(postgres.image).toMatch(/^pgvector\/pgvector:pg\d+$/);
      expect(postgres.healthcheck.test.join(' ')).toMatch(/pg_isready/);
      expect(postgres.volumes.map((v: any) => (typeof v === 'string' ? v : v.source)).join(' ')).toMatch(/semantik-pgdata/);
      expect(postgres.ports).toBeUndefined();

      expect(migrate.command).toEqual(['db', 'migrate']);
      expect(migrate.restart).toBe('no');
      expect(migrate.depends_on.postgres.condition).toBe('service_healthy');

      expect(api.command).toEqual(expect.arrayContaining(['serve', '--no-worker']));
      expect(api.depends_on.migrate.condition).toBe('service_completed_successfully');
      expect(api.ports).toHaveLength(1);

      expect(worker.command[0]).toBe('worker');
      expect(worker.depends_on.migrate.condition).toBe('service_completed_successfully');
      // `--scale worker=N` needs replicas that do not collide on a name or a host port.
      expect(worker.container_name).toBeUndefined();
      expect(worker.ports).toBeUndefined();

      for (const service of [migrate, api, worker]) {
        expect(service.environment.NODE_ENV).toBe('production');
        expect(service.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^:]+:[^@]+@postgres:5432\//);
      }
      // Docker's kill timeout must leave room for the app's own graceful shutdown.
      const grace = Number(/^(\d+)s$/.exec(api.stop_grace_period)?.[1]);
      expect(grace).toBeGreaterThan(Number(api.environment.SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS));
    });

    it('passes the app only variables it knows (no typos)', () => {
      const config = composeConfig('docker-compose.yml', path.join(root, '.env.example'));
      const known = new Set(Object.keys(configSchema.shape));
      for (const name of ['migrate', 'api', 'worker']) {
        const unknown = Object.keys(config.services[name].environment).filter((key) => !known.has(key));
        expect(unknown, `service ${name}`).toEqual([]);
      }
    });
  });
});

describe('.env.example', () => {
  const example = read('.env.example');
  const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

  it('lists every configuration variable (the contract table and the extras)', () => {
    const missing = Object.keys(configSchema.shape).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
    const contract = ['DATABASE_URL', 'SEMANTIK_DATA_DIR', 'HOST', 'PORT', 'JWT_SECRET_KEY', 'ACCESS_TOKEN_EXPIRE_MINUTES', 'REFRESH_TOKEN_EXPIRE_DAYS'];
    for (const key of [...contract, 'SEMANTIK_DOCUMENT_ROOTS', 'DB_POOL_SIZE', 'DB_MAX_OVERFLOW', 'DB_POOL_TIMEOUT', 'DB_POOL_RECYCLE', 'DB_POOL_PRE_PING', 'DEFAULT_EMBEDDING_MODEL']) {
      expect(listed.has(key), key).toBe(true);
    }
  });

  it('its placeholder secrets are refused by the production guards, so nobody ships them', () => {
    const values = Object.fromEntries([...example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]!.trim()]));
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET_KEY: values.JWT_SECRET_KEY,
      DATABASE_URL: `postgres://semantik:${values.POSTGRES_PASSWORD}@postgres:5432/semantik`,
    });
    expect(() => assertProductionReady(config)).toThrow(ConfigError);
    expect(() => assertProductionReady(config)).toThrow(/JWT_SECRET_KEY[\s\S]*DATABASE_URL uses a default password/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.map((line, i) => [line, i] as const).filter(([line]) => /^FROM\s/i.test(line));
  const finalStage = instructions.slice(stages.at(-1)![1]);

  it('is multi-stage, and the shipped stage starts from a slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.at(-1)![0]).toMatch(/slim/);
  });

  it('installs production dependencies only into the shipped stage', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const copiedModules = finalStage.filter((line) => /^COPY\b.*node_modules/.test(line));
    expect(copiedModules).toHaveLength(1);
    const source = /--from=(\S+)/.exec(copiedModules[0]!)?.[1];
    const sourceStage = instructions.find((line) => new RegExp(`^FROM\\s.*\\sAS\\s+${source}$`, 'i').test(line));
    expect(sourceStage, `stage ${source}`).toBeDefined();
    const sourceBody = instructions.slice(instructions.indexOf(sourceStage!)).join('\n').split(/\nFROM\s/i)[0]!;
    expect(sourceBody).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a non-root user', () => {
    const users = finalStage.filter((line) => /^USER\s/i.test(line));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
  });

  it('has a health check on the readiness endpoint and runs the CLI', () => {
    expect(finalStage.some((line) => /^HEALTHCHECK\s.*\/api\/health/i.test(line))).toBe(true);
    expect(finalStage.some((line) => /^ENTRYPOINT\s.*bin\/semantik\.js/.test(line))).toBe(true);
  });

  it('.dockerignore keeps secrets, data and local builds out of the image', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['.env', 'node_modules', 'data', '.git', 'dist']) expect(ignored, entry).toContain(entry);
  });
});
