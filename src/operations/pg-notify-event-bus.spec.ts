import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { silentLogger } from '../../test/fixtures/operation-helpers.js';
import { openDatabase, type Database } from '../db/database.js';
import type { OperationEvent, OperationEventBus } from './operation-events.js';
import { createOperationEventBus, encodeEvent, MAX_EVENT_PAYLOAD_BYTES, PgNotifyOperationEventBus } from './pg-notify-event-bus.js';

/** Two buses on two pools stand for an API process and a worker process. */
let t: TestDatabase;
let otherDatabase: Database;
let api: OperationEventBus;
let worker: OperationEventBus;

const event = (overrides: Partial<OperationEvent['data']> = {}, type: OperationEvent['type'] = 'progress'): OperationEvent => ({
  type,
  operation_id: '00000000-0000-4000-8000-000000000001',
  collection_id: '00000000-0000-4000-8000-000000000002',
  data: { status: 'processing', progress: { total_files: 10, processed_files: 3, failed_files: 0, current_file: '/docs/a.txt', percentage: 30 }, ...overrides },
});

beforeAll(async () => {
  t = await createServerTestDatabase();
  otherDatabase = await openDatabase(t.config);
  api = await createOperationEventBus(t.config, t.database, silentLogger);
  worker = await createOperationEventBus(t.config, otherDatabase, silentLogger);
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await otherDatabase?.close();
  await t?.dispose();
});

function next(bus: OperationEventBus, operationId: string): Promise<OperationEvent> {
  return new Promise((resolve) => {
    const off = bus.subscribe(operationId, (e) => {
      off();
      resolve(e);
    });
  });
}

describe('PgNotifyOperationEventBus', () => {
  it('is the server-mode bus', () => {
    expect(api).toBeInstanceOf(PgNotifyOperationEventBus);
  });

  it('delivers a worker process event to subscribers of another process, once each', async () => {
    const seenByApi: OperationEvent[] = [];
    const seenByWorker: OperationEvent[] = [];
    const offApi = api.subscribe('*', (e) => seenByApi.push(e));
    const offWorker = worker.subscribe('*', (e) => seenByWorker.push(e));
    const arrived = next(api, event().operation_id);
    await worker.publish(event());
    expect(await arrived).toEqual(event());
    await expect.poll(() => seenByWorker.length).toBe(1);
    expect(seenByApi).toHaveLength(1);
    offApi();
    offWorker();
  });

  it('cuts oversized free text so the NOTIFY payload fits, and still delivers', async () => {
    const huge = event({ status: 'failed', error_message: 'é'.repeat(20_000) }, 'operation_failed');
    expect(Buffer.byteLength(encodeEvent(huge))).toBeLessThanOrEqual(MAX_EVENT_PAYLOAD_BYTES);
    const arrived = next(api, huge.operation_id);
    await worker.publish(huge);
    const got = await arrived;
    expect(got.type).toBe('operation_failed');
    expect(got.data.error_message!.length).toBeLessThan(20_000);
    expect(got.data.progress?.processed_files).toBe(3);
  });
});
