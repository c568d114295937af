import type { Command } from 'commander';
import { CliUsageError, withCli } from '../cli/cli-context.js';
import { assertProductionReady } from '../config/production-guards.js';
import { migrationStatus } from '../db/migrator.js';
import { createOperationEventBus } from '../operations/pg-notify-event-bus.js';
import { startWorker } from './worker.js';

/**
 * `semantik worker [--concurrency N]`: runs operations until SIGTERM/SIGINT, then drains — each
 * running operation finishes its current batch and hands its lease back so another worker (or
 * this one after a restart) continues at once. A second signal exits immediately; the lease then
 * expires and the operation is resumed by whichever worker claims it next.
 */
export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('run the background worker only (indexing, reindex, deletes)')
    .option('--concurrency <n>', 'operations to run at once (default SEMANTIK_WORKER_CONCURRENCY)')
    .action((opts: { concurrency?: string }) =>
      withCli(async (ctx) => {
        for (const warning of assertProductionReady(ctx.config)) ctx.logger.warn(warning);
        const concurrency = opts.concurrency === undefined ? ctx.config.workerConcurrency : Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliUsageError('--concurrency must be a whole number ≥ 1');
        const database = await ctx.openDatabase();
        const status = await migrationStatus(database.db);
        if (status.pending > 0) {
          throw new CliUsageError(`the database schema is ${status.pending} migration(s) behind; run \`semantik db migrate\` first`);
        }
        const eventBus = await createOperationEventBus(ctx.config, database, ctx.logger);
        const worker = await startWorker({ config: ctx.config, database, logger: ctx.logger, eventBus, concurrency });
        console.error(`semantik worker ${worker.id}: running ${concurrency} at a time against ${database.target}; SIGTERM drains`);

        await new Promise<void>((resolve) => {
          let signalled = false;
          const onSignal = (signal: NodeJS.Signals) => {
            if (signalled) {
              console.error(`semantik worker: second ${signal}, exiting without draining`);
              process.exit(130);
            }
            signalled = true;
            console.error(`semantik worker: ${signal} received, draining (finishing the current batch)…`);
            resolve();
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        await worker.stop();
        await eventBus.close();
        return 0;
      }),
    );
}
