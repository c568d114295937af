import { ConfigError, type AppConfig } from './config.js';

/**
 * Start-up checks for NODE_ENV=production: a deployment that would run with a guessable signing
 * key or the sample database password refuses to start and lists every problem at once, so the
 * operator fixes the environment in one pass instead of one restart per variable.
 */

/** 32 characters: `openssl rand -hex 16` gives 32 hex chars = 128 bits, the floor for an HMAC key. */
export const MIN_JWT_SECRET_LENGTH = 32;

/** Values seen in tutorials, samples and our own .env.example; matched case-insensitively. */
const WEAK_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'change_me',
  'password',
  'default',
  'semantik',
  'jwt-secret',
  'jwt_secret',
  'your-secret-key',
  'your_secret_key',
  'supersecret',
  'development',
  'test',
]);

/** Fragments that mark a placeholder someone forgot to replace, however long it is. */
const PLACEHOLDER_FRAGMENTS = ['changeme', 'change-me', 'change_me', 'replace-me', 'replace_me', 'your-secret', 'example', 'placeholder'];

/** The passwords of our compose files, the postgres image's docs and the usual suspects. */
export const DEFAULT_DATABASE_PASSWORDS = new Set(['semantik', 'postgres', 'password', 'changeme', 'change-me', 'admin', 'root', 'secret', 'pass', '123456']);

/**
 * Fewer than 8 distinct characters in ≥ 32 is a pattern ("aaaa…", "abcabc…"), not a random key:
 * 32 random hex chars have 8 or fewer distinct symbols with probability < 1e-6.
 */
const MIN_DISTINCT_SECRET_CHARS = 8;

export interface ProductionReadiness {
  /** Each one blocks start-up in production. */
  problems: string[];
  /** Allowed, but worth a log line. */
  warnings: string[];
}

const SECRET_FIX = 'generate one with `openssl rand -hex 32` and set JWT_SECRET_KEY in the environment (or .env)';

export function checkProductionReadiness(config: AppConfig): ProductionReadiness {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (config.env !== 'production') return { problems, warnings };

  const secret = config.jwtSecretKey?.trim();
  if (!secret) {
    problems.push(`JWT_SECRET_KEY is not set; in production it must be set explicitly: ${SECRET_FIX}.`);
  } else if (WEAK_SECRETS.has(secret.toLowerCase()) || isPlaceholder(secret)) {
    problems.push(`JWT_SECRET_KEY is a well-known placeholder value; anyone could forge tokens: ${SECRET_FIX}.`);
  } else if (secret.length < MIN_JWT_SECRET_LENGTH) {
    problems.push(`JWT_SECRET_KEY is ${secret.length} characters; at least ${MIN_JWT_SECRET_LENGTH} are required: ${SECRET_FIX}.`);
  } else if (new Set(secret).size < MIN_DISTINCT_SECRET_CHARS) {
    problems.push(`JWT_SECRET_KEY is a repetitive pattern, not a random key: ${SECRET_FIX}.`);
  }

  if (config.databaseUrl) {
    const password = databasePassword(config.databaseUrl);
    if (password !== undefined && isDefaultPassword(password)) {
      problems.push(
        `DATABASE_URL uses a default password ("${password}"). Set a strong one on the server ` +
          "(ALTER ROLE … PASSWORD '…'; with docker compose: POSTGRES_PASSWORD in .env before the first start) " +
          'and put it in DATABASE_URL.',
      );
    }
  } else {
    warnings.push(
      `No DATABASE_URL: running on the embedded database in ${config.dataDir}/pg. It is single-process and ` +
        'does not scale out; for production load set DATABASE_URL=postgres://… (see docs/operations.md).',
    );
  }
  return { problems, warnings };
}

/**
 * Throws a ConfigError listing every problem when NODE_ENV=production and the configuration is
 * unsafe; returns the warnings for the caller to log. Outside production it never throws.
 */
export function assertProductionReady(config: AppConfig): string[] {
  const { problems, warnings } = checkProductionReadiness(config);
  if (problems.length > 0) {
    throw new ConfigError(
      `Refusing to start with NODE_ENV=production:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'See docs/operations.md ("Production checklist").',
    );
  }
  return warnings;
}

function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  return PLACEHOLDER_FRAGMENTS.some((fragment) => lower.includes(fragment));
}

function isDefaultPassword(password: string): boolean {
  return DEFAULT_DATABASE_PASSWORDS.has(password.toLowerCase()) || isPlaceholder(password);
}

function databasePassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined; // loadConfig already rejected URLs that are not postgres://
  }
}
