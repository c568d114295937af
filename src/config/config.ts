import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { languageDataFolder, type OcrSettings } from '../ingest/ocr/ocr.settings.js';

/**
 * Configuration from the environment, validated once at start-up. Names and defaults follow the
 * configuration table of the API contract; extras are Semantik-specific knobs documented in README.
 */
const booleanFromEnv = z
  .union([z.boolean(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const normalized = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(normalized)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true/false, got "${value}"` });
    return z.NEVER;
  });

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/**
 * Whose word to take for the client address (Fastify `trustProxy`): `false` (default: the socket
 * peer, the only safe choice without a proxy, since anyone can send X-Forwarded-For), `true` (any
 * peer), or a comma list of the proxy's addresses/CIDRs (`loopback`, `10.0.0.0/8`, …).
 */
const trustProxyFromEnv = z
  .string()
  .trim()
  .transform((value): boolean | string[] => {
    const normalized = value.toLowerCase();
    if (['', '0', 'false', 'no', 'off'].includes(normalized)) return false;
    if (['1', 'true', 'yes', 'on'].includes(normalized)) return true;
    return value.split(',').map((entry) => entry.trim()).filter(Boolean);
  });

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
      message: 'must start with postgres:// or postgresql:// (unset it to use the embedded database)',
    }),
  SEMANTIK_DATA_DIR: z.string().default('./data'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  JWT_SECRET_KEY: z.string().optional(),
  ACCESS_TOKEN_EXPIRE_MINUTES: positiveInt.default(30),
  REFRESH_TOKEN_EXPIRE_DAYS: positiveInt.default(7),
  SEMANTIK_DOCUMENT_ROOTS: z.string().default(os.homedir()),
  SEMANTIK_ALLOW_DOT_PATHS: booleanFromEnv.default(false),
  SEMANTIK_REGISTRATION: z.enum(['open', 'closed']).default('closed'),
  SEMANTIK_USER_ROOT_TEMPLATE: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .refine((value) => value === undefined || (path.isAbsolute(value) && value.includes('{username}')), {
      message: 'must be an absolute path containing {username}, e.g. /srv/docs/{username}',
    }),
  DB_POOL_SIZE: positiveInt.default(20),
  DB_MAX_OVERFLOW: nonNegativeInt.default(40),
  DB_POOL_TIMEOUT: z.coerce.number().positive().default(30),
  DB_POOL_RECYCLE: nonNegativeInt.default(3600),
  DB_POOL_PRE_PING: booleanFromEnv.default(true),
  DB_STATEMENT_TIMEOUT_MS: nonNegativeInt.default(0),
  DB_RETRY_ATTEMPTS: nonNegativeInt.default(3),
  DEFAULT_EMBEDDING_MODEL: z.string().default('universal-sentence-encoder-lite'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEMANTIK_MAX_FILE_SIZE_MB: z.coerce.number().positive().default(100),
  SEMANTIK_MAX_BODY_BYTES: positiveInt.default(1_048_576),
  SEMANTIK_WORKER_CONCURRENCY: positiveInt.default(1),
  SEMANTIK_JOB_LEASE_SECONDS: positiveInt.default(60),
  SEMANTIK_JOB_MAX_ATTEMPTS: positiveInt.default(5),
  SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS: positiveInt.default(30),
  SEMANTIK_TRUST_PROXY: trustProxyFromEnv.default(false),
  SEMANTIK_LOGIN_FAILURES_PER_ADDRESS: positiveInt.default(30),
  SEMANTIK_LOGIN_ATTEMPTS_PER_MINUTE: positiveInt.default(600),
  SEMANTIK_OCR: booleanFromEnv.default(true),
  SEMANTIK_OCR_LANGUAGES: z
    .string()
    .default('eng')
    .transform((value) => [...new Set(value.split(/[+,\s]+/).filter(Boolean))])
    .refine((codes) => codes.length > 0, { message: 'name at least one language, e.g. eng or eng+deu' })
    .superRefine((codes, ctx) => {
      for (const code of codes) {
        if (!/^[a-z_]{3,16}$/i.test(code) || !languageDataFolder(code)) {
          ctx.addIssue({ code: 'custom', message: `no OCR data for "${code}": npm install @tesseract.js-data/${code} (or set SEMANTIK_OCR=off)` });
        }
      }
    }),
  SEMANTIK_OCR_MAX_PAGES: positiveInt.default(50),
  SEMANTIK_OCR_MAX_SECONDS: z.coerce.number().positive().default(300),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface PoolConfig {
  size: number;
  maxOverflow: number;
  timeoutMs: number;
  recycleSeconds: number;
  prePing: boolean;
  statementTimeoutMs: number;
}

export interface AppConfig {
  env: RawConfig['NODE_ENV'];
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  jwtSecretKey: string | undefined;
  accessTokenMinutes: number;
  refreshTokenDays: number;
  documentRoots: string[];
  /** Whether dot-folders and dot-files below a document root (~/.ssh, ~/.config) may be indexed and served. */
  allowDotPaths: boolean;
  /** `open`: anyone may create an account; `closed`: only the first account, then admins create them. */
  registration: RawConfig['SEMANTIK_REGISTRATION'];
  /** Default document root of a user whose own roots are not configured, `{username}` substituted. */
  userRootTemplate: string | undefined;
  pool: PoolConfig;
  retryAttempts: number;
  defaultEmbeddingModel: string;
  logLevel: RawConfig['LOG_LEVEL'];
  maxFileSizeBytes: number;
  maxBodyBytes: number;
  workerConcurrency: number;
  jobLeaseSeconds: number;
  jobMaxAttempts: number;
  shutdownTimeoutSeconds: number;
  trustProxy: boolean | string[];
  /** Failed logins one address may make per 5 minutes (password spraying). */
  loginFailuresPerAddress: number;
  /** Login attempts the whole server verifies per minute (Argon2 CPU). */
  loginAttemptsPerMinute: number;
  /** OCR of scanned PDF pages and image files (docs/ingest.md). */
  ocr: OcrSettings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every bad variable and what it expects. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nFix the environment (or .env) and retry.`);
  }
  const raw = parsed.data;
  const dataDir = path.resolve(raw.SEMANTIK_DATA_DIR);
  return {
    env: raw.NODE_ENV,
    databaseUrl: raw.DATABASE_URL,
    dataDir,
    host: raw.HOST,
    port: raw.PORT,
    jwtSecretKey: raw.JWT_SECRET_KEY,
    accessTokenMinutes: raw.ACCESS_TOKEN_EXPIRE_MINUTES,
    refreshTokenDays: raw.REFRESH_TOKEN_EXPIRE_DAYS,
    documentRoots: raw.SEMANTIK_DOCUMENT_ROOTS.split(':')
      .map((root) => root.trim())
      .filter(Boolean)
      .map((root) => path.resolve(root)),
    allowDotPaths: raw.SEMANTIK_ALLOW_DOT_PATHS,
    registration: raw.SEMANTIK_REGISTRATION,
    userRootTemplate: raw.SEMANTIK_USER_ROOT_TEMPLATE,
    pool: {
      size: raw.DB_POOL_SIZE,
      maxOverflow: raw.DB_MAX_OVERFLOW,
      timeoutMs: Math.round(raw.DB_POOL_TIMEOUT * 1000),
      recycleSeconds: raw.DB_POOL_RECYCLE,
      prePing: raw.DB_POOL_PRE_PING,
      statementTimeoutMs: raw.DB_STATEMENT_TIMEOUT_MS,
    },
    retryAttempts: raw.DB_RETRY_ATTEMPTS,
    defaultEmbeddingModel: raw.DEFAULT_EMBEDDING_MODEL,
    logLevel: raw.LOG_LEVEL,
    maxFileSizeBytes: Math.round(raw.SEMANTIK_MAX_FILE_SIZE_MB * 1024 * 1024),
    maxBodyBytes: raw.SEMANTIK_MAX_BODY_BYTES,
    workerConcurrency: raw.SEMANTIK_WORKER_CONCURRENCY,
    jobLeaseSeconds: raw.SEMANTIK_JOB_LEASE_SECONDS,
    jobMaxAttempts: raw.SEMANTIK_JOB_MAX_ATTEMPTS,
    shutdownTimeoutSeconds: raw.SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS,
    trustProxy: raw.SEMANTIK_TRUST_PROXY,
    loginFailuresPerAddress: raw.SEMANTIK_LOGIN_FAILURES_PER_ADDRESS,
    loginAttemptsPerMinute: raw.SEMANTIK_LOGIN_ATTEMPTS_PER_MINUTE,
    ocr: {
      enabled: raw.SEMANTIK_OCR,
      languages: raw.SEMANTIK_OCR_LANGUAGES,
      maxPagesPerDocument: raw.SEMANTIK_OCR_MAX_PAGES,
      maxSecondsPerDocument: raw.SEMANTIK_OCR_MAX_SECONDS,
    },
  };
}
