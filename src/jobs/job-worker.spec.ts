import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCollection, makeUser } from '../../test/support/fixtures.js';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { enqueue, findOperation, insertStoredOperation, silentLogger, waitFor, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { repositoriesFor } from '../db/repositories.js';
import { OPERATION_TYPES } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { ConflictError, DatabaseUnavailableError, ValidationError } from '../errors/domain-errors.js';
import { operationPayloadSchemas, type OperationConfigOf, type OperationPayloadSchemas } from '../indexing/job-payloads.js';
import { cancelOperation } from '../operations/operation.service.js';
import { InProcessOperationEventBus, type OperationEvent } from '../operations/operation-events.js';
import { JobRegistryError, OperationInterrupted } from './job-errors.js';
import { assertCompleteRegistry, parseJobPayload, parseStoredJobConfig, type JobHandler, type JobHandlers } from './job.registry.js';
import { isTransientJobError, startJobWorker, type RunningWorker } from './job-worker.js';

/**
 * Queue semantics with stand-in handlers (the pipeline has its own suite): claiming, leases,
 * retries, exhaustion, draining and lost leases against the real server. The queue itself does
 * nothing to collections: what a failure or a cancellation means for one is the handler's
 * onFailed / onCancelled (indexing's handlers; their suites check the collection's status).
 */
let t: TestDatabase;
let userId: number;
const running: RunningWorker[] = [];
const bus = new InProcessOperationEventBus();
const events: OperationEvent[] = [];

beforeAll(async () => {
  t = await createServerTestDatabase({ SEMANTIK_JOB_LEASE_SECONDS: '2', SEMANTIK_JOB_MAX_ATTEMPTS: '3', SEMANTIK_SHUTDOWN_TIMEOUT_SECONDS: '10' });
  userId = (await inUnitOfWork(t.database, (tx) => makeUser(repositoriesFor(tx)))).id;
  bus.subscribe('*', (e) => events.push(e));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});

afterAll(async () => {
  await bus.close();
  await t?.dispose();
});

async function newCollection() {
  return inUnitOfWork(t.database, (tx) => makeCollection(repositoriesFor(tx), userId));
}

type Handlers = JobHandlers<OperationPayloadSchemas>;

/** What the stand-in handlers' hooks were called with. */
const hooks: { failed: { operationId: string; message: string }[]; cancelled: string[] } = { failed: [], cancelled: [] };
const standIn: JobHandler<never> = {
  run: async () => {},
  onFailed: async (ctx, message) => void hooks.failed.push({ operationId: ctx.operation.id, message }),
  onCancelled: async (ctx) => void hooks.cancelled.push(ctx.operation.id),
};

async function worker(handlers: Partial<Handlers>, concurrency = 1, retryBaseMs = 50): Promise<RunningWorker> {
  const all = { ...(Object.fromEntries(OPERATION_TYPES.map((type) => [type, standIn])) as unknown as Handlers), ...handlers };
  const registry = { schemas: operationPayloadSchemas, handlers: all, registeredIn: 'the test' };
  const w = await startJobWorker({ config: t.config, database: t.database, logger: silentLogger, eventBus: bus, concurrency, registry, pollIntervalMs: 200, retryBaseMs });
  running.push(w);
  return w;
}

function deleteHandler(run: JobHandler<OperationConfigOf<'delete'>>['run']): Partial<Handlers> {
  return { delete: { ...standIn, run } };
}

describe('job registry', () => {
  it('fails start-up naming the missing handler and the fix', () => {
    const registeredIn = 'src/indexing/indexing.handlers.ts';
    expect(() => assertCompleteRegistry({ index: { run: async () => {} } }, registeredIn)).toThrow(JobRegistryError);
    expect(() => assertCompleteRegistry({ index: { run: async () => {} } }, registeredIn)).toThrow(/append, reindex, remove_source, delete.*src\/indexing\/indexing\.handlers\.ts/);
  });

  it('validates operation configs per type', () => {
    const parseOperationConfig = (type: (typeof OPERATION_TYPES)[number], config: unknown) => parseStoredJobConfig(operationPayloadSchemas, type, config);
    expect(parseOperationConfig('append', { source_path: '/x', config: { include: ['*.md'] } })).toEqual({
      source_path: '/x',
      source_id: undefined,
      scan: { recursive: true, include: ['*.md'], exclude: [] },
    });
    expect(parseOperationConfig('index', { source_path: '/x' }).scan).toBeUndefined();
    expect(() => parseOperationConfig('index', {})).toThrow(/source_path/);
    expect(() => parseOperationConfig('remove_source', {})).toThrow(/source_path or source_id/);
    expect(() => parseOperationConfig('reindex', { chunk_size: -1 })).toThrow();
  });

  it('refuses a wrong payload where it is enqueued, naming the field', () => {
    expect(() => parseJobPayload(operationPayloadSchemas, 'index', {})).toThrow(ValidationError);
    expect(() => parseJobPayload(operationPayloadSchemas, 'index', {})).toThrow(/Invalid index operation config.*source_path/s);
    expect(() => parseJobPayload(operationPayloadSchemas, 'reindex', { chunk_size: 200, reason: 'x' })).toThrow(/Unknown field\(s\) for a reindex operation: reason/);
    expect(() => parseJobPayload(operationPayloadSchemas, 'index', { source_path: '/x', include: ['*(*)x'] })).toThrow(ValidationError);
    const payload = { source_path: '/x', recursive: false };
    expect(parseJobPayload(operationPayloadSchemas, 'append', payload)).toBe(payload);
  });

  it('classifies transient errors', () => {
    expect(isTransientJobError(new DatabaseUnavailableError('down'))).toBe(true);
    expect(isTransientJobError(Object.assign(new Error('x'), { code: '40001' }))).toBe(true);
    expect(isTransientJobError(new Error('bug'))).toBe(false);
    expect(isTransientJobError(new Error('provider down'), (err) => (err as Error).message === 'provider down')).toBe(true);
  });
});

describe('worker queue (server)', () => {
  it('one active operation per collection: a second one is a 409 conflict', async () => {
    const c = await newCollection();
    await enqueue(t.database, c.id, 'delete');
    await expect(enqueue(t.database, c.id, 'delete')).rejects.toThrow(ConflictError);
    await t.database.db.deleteFrom('operations').where('collection_id', '=', c.id).execute();
  });

  it('many workers claim many operations: each runs exactly once', async () => {
    const runs: { op: string; worker: string }[] = [];
    const handler = deleteHandler(async (ctx) => {
      runs.push({ op: ctx.operation.id, worker: ctx.workerId });
      await sleep(30);
      await ctx.commitBatch(async () => {});
    });
    const collections = await Promise.all(Array.from({ length: 12 }, () => newCollection()));
    const ops = await Promise.all(collections.map((c) => enqueue(t.database, c.id, 'delete')));
    const workers = await Promise.all([worker(handler, 2), worker(handler, 2), worker(handler, 2)]);
    const ends = await Promise.all(ops.map((op) => waitForOperation(t.database, op.id)));
    expect(ends.map((e) => e?.status)).toEqual(Array(12).fill('completed'));
    expect(ends.every((e) => e!.attempts === 1 && e!.locked_by === null)).toBe(true);
    expect(runs.map((r) => r.op).sort()).toEqual(ops.map((o) => o.id).sort());
    expect(new Set(runs.map((r) => r.worker)).size).toBeGreaterThan(1);
    expect(workers).toHaveLength(3);
  });

  it('resumes an operation whose worker died (lease expired) and counts the attempt', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    await t.database.db
      .updateTable('operations')
      .set({ status: 'processing', locked_by: 'dead-host:1:abc', locked_until: sql`now() + interval '1 second'`, attempts: 1 })
      .where('id', '=', op.id)
      .execute();
    const seen: number[] = [];
    await worker(deleteHandler(async (ctx) => void seen.push(ctx.operation.attempts)));
    const end = await waitForOperation(t.database, op.id);
    expect(end).toMatchObject({ status: 'completed', attempts: 2, locked_by: null });
    expect(seen).toEqual([2]);
  });

  it('fails an operation that used up its attempts, with the reason, and hands it to onFailed', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    await t.database.db
      .updateTable('operations')
      .set({ status: 'processing', locked_by: 'dead-host:1:abc', locked_until: sql`now() - interval '1 second'`, attempts: 3 })
      .where('id', '=', op.id)
      .execute();
    let ran = false;
    await worker(deleteHandler(async () => void (ran = true)));
    const end = await waitForOperation(t.database, op.id);
    expect(end?.status).toBe('failed');
    expect(end?.error_message).toMatch(/Gave up after 3 attempts: its worker stopped responding/);
    expect(ran).toBe(false);
    // The handler settles right after the operation row is failed (its own transaction).
    await expect.poll(() => hooks.failed.find((f) => f.operationId === op.id)?.message).toMatch(/Gave up after 3 attempts/);
    await expect.poll(() => events.some((e) => e.operation_id === op.id && e.type === 'operation_failed')).toBe(true);
  });

  it('retries transient errors with back-off, then completes', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    let calls = 0;
    await worker(
      deleteHandler(async () => {
        calls++;
        if (calls === 1) throw new DatabaseUnavailableError('connection lost');
      }),
      1,
      300,
    );
    const retried = await waitFor(async () => {
      const row = await findOperation(t.database, op.id);
      return row?.status === 'pending' && row.attempts === 1 ? row : undefined;
    }, 'the retry to be scheduled');
    expect(retried.error_message).toMatch(/Retrying after: connection lost/);
    expect(retried.run_after.getTime()).toBeGreaterThan(retried.created_at.getTime());
    const end = await waitForOperation(t.database, op.id);
    expect(end).toMatchObject({ status: 'completed', attempts: 2 });
    expect(calls).toBe(2);
  });

  it('fails permanently on a non-transient error without retrying', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    await worker(deleteHandler(async () => { throw new Error('handler bug'); }));
    const end = await waitForOperation(t.database, op.id);
    expect(end).toMatchObject({ status: 'failed', attempts: 1, error_message: 'handler bug' });
  });

  it('fails an operation whose stored config is invalid, naming the field', async () => {
    const c = await newCollection();
    const op = await insertStoredOperation(t.database, c.id, 'append', { not_source_path: 1 });
    await worker({});
    const end = await waitForOperation(t.database, op.id);
    expect(end?.status).toBe('failed');
    expect(end?.error_message).toMatch(/Invalid append operation config.*source_path/s);
  });

  it('drains on stop: the current batch finishes and the lease goes back to the queue', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    let batches = 0;
    const w = await worker(
      deleteHandler(async (ctx) => {
        for (;;) {
          await ctx.checkpoint();
          await ctx.commitBatch(async () => void batches++);
          await sleep(20);
        }
      }),
    );
    await waitFor(async () => batches >= 2, 'a few batches');
    await w.stop();
    const row = await findOperation(t.database, op.id);
    expect(row).toMatchObject({ status: 'pending', locked_by: null, attempts: 0 });
    expect(row!.run_after.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    await t.database.db.deleteFrom('operations').where('id', '=', op.id).execute();
  });

  it('a cancellation noticed by the heartbeat ends the operation as cancelled at the next batch', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    let batches = 0;
    await worker(
      deleteHandler(async (ctx) => {
        for (;;) {
          await ctx.commitBatch(async () => void batches++);
          await sleep(1_000); // longer than a heartbeat interval (lease 2 s / 3)
        }
      }),
    );
    await waitFor(async () => batches >= 1, 'the first batch');
    await inUnitOfWork(t.database, (tx) => cancelOperation(repositoriesFor(tx), op.id));
    await expect.poll(() => events.some((e) => e.operation_id === op.id && e.type === 'operation_cancelled'), { timeout: 5_000 }).toBe(true);
    const row = await findOperation(t.database, op.id);
    expect(row).toMatchObject({ status: 'cancelled', locked_by: null });
    expect(batches).toBeLessThanOrEqual(2);
    expect(hooks.cancelled).toContain(op.id);
  });

  it('a worker that lost its lease stops without writing', async () => {
    const c = await newCollection();
    const op = await enqueue(t.database, c.id, 'delete');
    let interrupted: unknown;
    let started = false;
    await worker(
      deleteHandler(async (ctx) => {
        started = true;
        try {
          for (;;) {
            await ctx.commitBatch(async (tx) => {
              await sql`SELECT 1`.execute(tx);
            });
            await sleep(20);
          }
        } catch (err) {
          interrupted = err;
          throw err;
        }
      }),
    );
    await waitFor(async () => started, 'the handler to start');
    await t.database.db.updateTable('operations').set({ locked_by: 'thief:1:x' }).where('id', '=', op.id).execute();
    await waitFor(async () => interrupted !== undefined, 'the handler to notice');
    expect(interrupted).toBeInstanceOf(OperationInterrupted);
    expect((interrupted as OperationInterrupted).reason).toBe('lease_lost');
    await sleep(100);
    const row = await findOperation(t.database, op.id);
    expect(row).toMatchObject({ status: 'processing', locked_by: 'thief:1:x' });
    await t.database.db.deleteFrom('operations').where('id', '=', op.id).execute();
  });
});
