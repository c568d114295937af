import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/config.js';
import { CliUsageError, withCli } from '../cli/cli-context.js';
import { assertProductionReady } from '../config/production-guards.js';
import type { Database } from '../db/database.js';
import { migrateToLatest, migrationStatus } from '../db/migrator.js';
import type { OperationEventBus } from '../operations/operation-events.js';
import { createOperationEventBus } from '../operations/pg-notify-event-bus.js';
import { startWorker as startBackgroundWorker } from '../worker/worker.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { buildApp } from './app.js';

/** What the in-process worker gets; the same shape `semantik worker` builds. */
export interface WorkerDeps {
  config: AppConfig;
  database: Database;
  logger: Logger;
  eventBus: OperationEventBus;
  concurrency: number;
}

export type StartWorker = (deps: WorkerDeps) => Promise<{ stop(): Promise<void> }>;

export interface ServeOptions {
  host?: string;
  port?: number;
  /** false for `--no-worker`. */
  worker?: boolean;
  startWorker?: StartWorker;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Graceful: stop accepting, finish in-flight requests, stop the worker, within shutdownTimeoutSeconds. */
  close(): Promise<void>;
}

/**
 * Everything `semantik serve` does except signal handling and closing the pool (the caller owns the
 * database): migrate if needed, build the app, start the worker, listen.
 */
export async function startServer(config: AppConfig, database: Database, logger: Logger, options: ServeOptions = {}): Promise<RunningServer> {
  const { pending } = await migrationStatus(database.db);
  if (pending > 0) {
    logger.info({ pending }, 'applying pending database migrations');
    await migrateToLatest(database.db);
  }

  // Server mode: PostgreSQL LISTEN/NOTIFY, so this API process sees the progress of workers running in
  // other processes; embedded mode: in-process (one process owns the embedded database anyway).
  const eventBus: OperationEventBus = await createOperationEventBus(config, database, logger);

  const app = await buildApp({ config, database, logger, eventBus });

  const startWorker = options.startWorker ?? startBackgroundWorker;
  let worker: { stop(): Promise<void> } | undefined;
  if (options.worker !== false) {
    if (startWorker) {
      worker = await startWorker({ config, database, logger, eventBus, concurrency: config.workerConcurrency });
    } else {
      logger.warn('no in-process worker is wired into this build; operations stay pending until `semantik worker` runs');
    }
  }

  const host = options.host ?? config.host;
  const port = options.port ?? config.port;
  try {
    await app.listen({ host, port });
  } catch (err) {
    await worker?.stop().catch(() => {});
    await app.close().catch(() => {});
    throw err;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const deadline = config.shutdownTimeoutSeconds * 1000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), deadline);
        timer.unref();
      });
      const graceful = (async () => {
        await app.close(); // stops accepting, waits for in-flight requests, closes sockets
        await worker?.stop(); // the worker drains its current batch
        await eventBus.close();
        return 'done' as const;
      })();
      const outcome = await Promise.race([graceful, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.error({ seconds: config.shutdownTimeoutSeconds }, 'graceful shutdown timed out (SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS); exiting anyway');
        throw new Error('shutdown timed out');
      }
    })());
  return { app, url, close };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port must be 0..65535, got "${value}"`);
  return port;
}

/** `semantik serve [--host] [--port] [--no-worker]`. `startWorker` is injectable for tests and wiring. */
export function registerServeCommands(program: Command, defaults: { startWorker?: StartWorker } = {}): void {
  program
    .command('serve')
    .description('run the HTTP API and web UI (with an in-process worker unless --no-worker)')
    .option('--host <host>', 'listen address (default HOST or 127.0.0.1)')
    .option('--port <port>', 'listen port (default PORT or 8080)')
    .option('--no-worker', 'do not run the background worker in this process')
    .action((opts: { host?: string; port?: string; worker: boolean }) =>
      withCli(async (ctx) => {
        for (const warning of assertProductionReady(ctx.config)) ctx.logger.warn(warning);
        const database = await ctx.openDatabase();
        // The CLI's logger defaults to warn for one-shot commands; a server logs at LOG_LEVEL (default info).
        const logger = createLogger(ctx.config.logLevel);
        const server = await startServer(ctx.config, database, logger, {
          host: opts.host,
          port: opts.port === undefined ? undefined : parsePort(opts.port),
          worker: opts.worker,
          startWorker: defaults.startWorker,
        });
        logger.info({ url: server.url, database: database.target, worker: opts.worker }, `Semantik listening on ${server.url}`);
        console.log(`Semantik is running at ${server.url} (API docs: ${server.url}/api/docs)`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        });
        logger.info({ signal }, 'shutting down');
        try {
          await server.close();
        } catch {
          return 1;
        }
        logger.info('stopped');
        return 0;
      }),
    );
}
