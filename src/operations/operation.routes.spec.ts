import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { uniqueName } from '../../test/support/test-databases.js';
import type { OperationEvent } from './operation-events.js';
import { WebSocket, type WsClient } from '../../test/support/ws-client.js';


let t: TestApp;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  owner = await registerAndLogin(t.app, 'ops-owner');
  other = await registerAndLogin(t.app, 'ops-other');
});
afterAll(async () => {
  await t?.dispose();
});

const repos = <T>(work: (r: ReturnType<typeof repositoriesFor>) => Promise<T>) => inUnitOfWork(t.testDb.database, (tx) => work(repositoriesFor(tx)));

async function startOperation(user: TestUser, collection?: { id: string }) {
  const c = collection ?? (await createCollectionVia(t.app, user));
  const dir = path.join(t.documentRoot, uniqueName('ops'));
  fs.mkdirSync(dir);
  const res = await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: dir } });
  expect(res.status).toBe(202);
  return { collection: c, operation: res.body as { id: string; collection_id: string; type: string; status: string } };
}

describe('operations routes', () => {
  it('GET /operations/{id} answers the contract JSON with progress percentage; others get 404', async () => {
    const { operation } = await startOperation(owner);
    await repos((r) => r.operations.updateProgress(operation.id, { total_files: 8, processed_files: 2, current_file: '/x/a.txt' }));
    const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/operations/${operation.id}` });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['collection_id', 'completed_at', 'config', 'created_at', 'error_message', 'id', 'progress', 'result', 'started_at', 'status', 'type']);
    expect(res.body.progress).toEqual({ total_files: 8, processed_files: 2, failed_files: 0, current_file: '/x/a.txt', percentage: 25 });
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/operations/${operation.id}` })).status).toBe(404);
    expect((await call(t.app, owner, { method: 'GET', url: '/api/v2/operations/not-a-uuid' })).status).toBe(404);
  });

  it('GET /operations filters by status list and type and only shows visible operations', async () => {
    const mine = await startOperation(owner);
    const theirs = await startOperation(other);
    await repos((r) => r.operations.markStatus(mine.operation.id, 'failed', { error_message: 'boom', completed_at: new Date() }));
    const all = await call(t.app, owner, { method: 'GET', url: '/api/v2/operations?per_page=100' });
    expect(all.status).toBe(200);
    const ids = all.body.operations.map((o: { id: string }) => o.id);
    expect(ids).toContain(mine.operation.id);
    expect(ids).not.toContain(theirs.operation.id);
    expect(all.body).toMatchObject({ page: 1, per_page: 100, total: ids.length });

    const failed = await call(t.app, owner, { method: 'GET', url: '/api/v2/operations?status=failed,cancelled&operation_type=index' });
    expect(failed.body.operations.map((o: { id: string }) => o.id)).toEqual([mine.operation.id]);
    const none = await call(t.app, owner, { method: 'GET', url: '/api/v2/operations?status=pending&operation_type=delete' });
    expect(none.body.operations).toEqual([]);
    expect((await call(t.app, owner, { method: 'GET', url: '/api/v2/operations?status=bogus' })).status).toBe(422);
    expect((await call(t.app, owner, { method: 'GET', url: '/api/v2/operations?per_page=101' })).status).toBe(422);
  });

  it('DELETE /operations/{id} cancels (200, cancelled), then 409; a reader of a public collection gets 403', async () => {
    const { collection, operation } = await startOperation(owner);
    await call(t.app, owner, { method: 'PUT', url: `/api/v2/collections/${collection.id}`, payload: { is_public: true } });
    expect((await call(t.app, other, { method: 'DELETE', url: `/api/v2/operations/${operation.id}` })).status).toBe(403);
    const received: OperationEvent[] = [];
    const unsubscribe = t.eventBus.subscribe(operation.id, (e) => received.push(e));
    const res = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/operations/${operation.id}` });
    unsubscribe();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: operation.id, status: 'cancelled', completed_at: expect.any(String) });
    expect(received.map((e) => e.type)).toEqual(['operation_cancelled']);
    const again = await call(t.app, owner, { method: 'DELETE', url: `/api/v2/operations/${operation.id}` });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
  });
});

describe('WS /ws/operations/{id}', () => {
  let baseUrl: string;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  function open(url: string): Promise<{ messages: OperationEvent[]; closed: Promise<number>; client: WsClient; firstMessage: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const client = new WebSocket(url);
      const messages: OperationEvent[] = [];
      let gotFirst: () => void;
      const firstMessage = new Promise<void>((r) => (gotFirst = r));
      const closed = new Promise<number>((r) => client.on('close', (code) => r(code)));
      client.on('message', (data) => {
        messages.push(JSON.parse(data.toString()) as OperationEvent);
        gotFirst();
      });
      client.on('open', () => resolve({ messages, closed, client, firstMessage }));
      client.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => reject(new Error(`HTTP ${res.statusCode}`)));
      client.on('error', reject);
    });
  }

  it('sends the current state, forwards events until a terminal one, then closes', async () => {
    const { operation } = await startOperation(owner);
    const socket = await open(`${baseUrl}/ws/operations/${operation.id}?token=${encodeURIComponent(owner.access)}`);
    await socket.firstMessage;
    expect(socket.messages[0]).toMatchObject({ type: 'progress', operation_id: operation.id, data: { status: 'pending', operation: { id: operation.id, type: 'index' } } });

    const base = { operation_id: operation.id, collection_id: operation.collection_id };
    const progress = { total_files: 2, processed_files: 1, failed_files: 0, current_file: 'a.txt', percentage: 50 };
    await t.eventBus.publish({ ...base, type: 'operation_started', data: { status: 'processing' } });
    await t.eventBus.publish({ ...base, type: 'progress', data: { status: 'processing', progress } });
    await t.eventBus.publish({ ...base, operation_id: 'some-other-operation', type: 'progress', data: { status: 'processing' } });
    await t.eventBus.publish({ ...base, type: 'operation_completed', data: { status: 'completed' } });
    expect(await socket.closed).toBe(1000);
    expect(socket.messages.map((m) => m.type)).toEqual(['progress', 'operation_started', 'progress', 'operation_completed']);
    expect(socket.messages[2]!.data.progress).toEqual(progress);
  });

  it('accepts an API key as token; a finished operation sends its final state and closes', async () => {
    const { operation } = await startOperation(owner);
    await repos((r) => r.operations.markStatus(operation.id, 'completed', { completed_at: new Date() }));
    const key = (await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'ws' } })).body.key as string;
    const socket = await open(`${baseUrl}/ws/operations/${operation.id}?token=${key}`);
    expect(await socket.closed).toBe(1000);
    expect(socket.messages.map((m) => m.type)).toEqual(['operation_completed']);
  });

  it('refuses the upgrade with 401 without a valid token and 404 for an operation the user cannot see', async () => {
    const { operation } = await startOperation(owner);
    await expect(open(`${baseUrl}/ws/operations/${operation.id}`)).rejects.toThrow('HTTP 401');
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?token=garbage`)).rejects.toThrow('HTTP 401');
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?token=${other.access}`)).rejects.toThrow('HTTP 404');
    await expect(open(`${baseUrl}/ws/operations/nope?token=${owner.access}`)).rejects.toThrow('HTTP 404');
  });

  it('a collection-scoped API key cannot watch an operation of another collection (404), even of its own user', async () => {
    const { operation } = await startOperation(owner);
    const elsewhere = await createCollectionVia(t.app, owner);
    const created = await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'ws-scoped', collection_ids: [elsewhere.id] } });
    expect(created.status).toBe(201);
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?token=${created.body.key}`)).rejects.toThrow('HTTP 404');
  });

  async function ticketFor(user: TestUser | undefined, headers: Record<string, string> = {}) {
    return call(t.app, user, { method: 'POST', url: '/api/v2/ws-tickets', headers });
  }

  it('opens with a single-use ticket from POST /api/v2/ws-tickets (no token in the URL); a second use is 401', async () => {
    const { operation } = await startOperation(owner);
    const issued = await ticketFor(owner);
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ ticket: expect.stringMatching(/^wst_[\w-]{43}$/), expires_in: 30 });

    const socket = await open(`${baseUrl}/ws/operations/${operation.id}?ticket=${issued.body.ticket}`);
    await socket.firstMessage;
    expect(socket.messages[0]).toMatchObject({ type: 'progress', operation_id: operation.id });
    socket.client.close();
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?ticket=${issued.body.ticket}`)).rejects.toThrow('HTTP 401');
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?ticket=wst_made-up`)).rejects.toThrow('HTTP 401');
    // A ticket does not widen access: another user's ticket still meets the 404.
    await expect(open(`${baseUrl}/ws/operations/${operation.id}?ticket=${(await ticketFor(other)).body.ticket}`)).rejects.toThrow('HTTP 404');
  });

  it('a ticket expires after 30 s', async () => {
    const { operation } = await startOperation(owner);
    const issued = await ticketFor(owner);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 31_000);
      await expect(open(`${baseUrl}/ws/operations/${operation.id}?ticket=${issued.body.ticket}`)).rejects.toThrow('HTTP 401');
    } finally {
      vi.useRealTimers();
    }
  });

  it('tickets need a credential (a read-only API key may ask too), and a ticket from a session that logged out is refused', async () => {
    expect((await ticketFor(undefined)).status).toBe(401);
    const { operation } = await startOperation(owner);
    const key = (await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'ws-ticket', scope: 'read' } })).body.key as string;
    const byKey = await ticketFor(undefined, { 'x-api-key': key });
    expect(byKey.status).toBe(201);
    const socket = await open(`${baseUrl}/ws/operations/${operation.id}?ticket=${byKey.body.ticket}`);
    await socket.firstMessage;
    socket.client.close();

    const session = await registerAndLogin(t.app, 'ws-logout');
    const { operation: own } = await startOperation(session);
    const ticket = (await ticketFor(session)).body.ticket as string;
    expect((await call(t.app, session, { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: session.refresh } })).status).toBe(200);
    await expect(open(`${baseUrl}/ws/operations/${own.id}?ticket=${ticket}`)).rejects.toThrow('HTTP 401');
  });
});
