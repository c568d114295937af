import 'dotenv/config';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { DomainError } from '../errors/domain-errors.js';
import { createLogger, type Logger } from '../shared/logger.js';

/**
 * What every command needs: validated config, a logger, and (lazily) the database. Commands get
 * this from `withCli`, which also turns known errors into a clear message and exit code 1–2.
 */
export interface CliContext {
  config: AppConfig;
  logger: Logger;
  openDatabase(): Promise<Database>;
}

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** `logToStderr`: for commands whose stdout is a protocol (`semantik mcp`). */
export async function withCli(action: (ctx: CliContext) => Promise<number | void>, options: { logToStderr?: boolean } = {}): Promise<void> {
  let database: Database | undefined;
  let exitCode = 0;
  try {
    const config = loadConfig();
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', {}, { toStderr: options.logToStderr });
    const ctx: CliContext = {
      config,
      logger,
      openDatabase: async () => (database ??= await openDatabase(config, { onPoolError: (err) => logger.warn({ err }, 'idle database client error') })),
    };
    exitCode = (await action(ctx)) ?? 0;
  } catch (err) {
    exitCode = reportCliError(err);
  } finally {
    await database?.close().catch(() => {});
    // After the close: closing PGlite ends its emscripten runtime, which sets process.exitCode = 0
    // and so turned every failing command on the embedded database into exit 0.
    process.exitCode = exitCode;
  }
}

export function reportCliError(err: unknown): number {
  if (err instanceof CliUsageError || err instanceof ConfigError) {
    console.error(`error: ${err.message}`);
    return 2;
  }
  if (err instanceof DomainError || (err instanceof Error && ['MigrationError', 'SqliteMigrationError'].includes(err.name))) {
    console.error(`error: ${err.message}`);
    return 1;
  }
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
    console.error(
      `error: cannot reach the database (${(err as Error).message}).\n` +
        '  Check DATABASE_URL, that the server is running (`make pg-up` or `bash scripts/setup-postgres.sh`), and credentials.',
    );
    return 1;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
}
