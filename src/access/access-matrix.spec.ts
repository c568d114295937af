import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createTestApp, registerAndLogin, type TestApp } from '../../test/support/test-app.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { seedCollection } from '../../test/support/search-fixtures.js';
import { WebSocket } from '../../test/support/ws-client.js';

// Every entry point that reads a collection asks the one rule (collection-access.rule.ts). This runs
// each of them through HTTP for six kinds of caller × three kinds of collection and checks who gets
// in: list, get, search (one and several collections), operations (list, get), documents (list,
// content), the progress WebSocket and the MCP tools.

type CallerName = 'owner' | 'other user' | 'other user with a grant' | 'read-only key' | 'key limited to another collection' | 'superuser';
type CollectionName = 'private' | 'public' | 'granted';
const COLLECTIONS: CollectionName[] = ['private', 'public', 'granted'];

/** Who may read which collection by id (get, search, documents, operation, socket, MCP). */
const MAY_READ: Record<CallerName, CollectionName[]> = {
  owner: ['private', 'public', 'granted'],
  'other user': ['public'],
  'other user with a grant': ['public', 'granted'],
  'read-only key': ['private', 'public', 'granted'],
  'key limited to another collection': [],
  superuser: ['private', 'public', 'granted'],
};
/** Lists show a superuser their own, public and shared collections only ("mine and what I can use"). */
const LISTED: Record<CallerName, CollectionName[]> = { ...MAY_READ, superuser: ['public'] };

let t: TestApp;
let baseUrl: string;
const callers = {} as Record<CallerName, { authorization: string; token: string }>;
const collections = {} as Record<CollectionName, { id: string; documentId: string; operationId: string }>;
const embedder = createEmbeddingProvider('deterministic-hash-384');

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, token });

beforeAll(async () => {
  t = await createTestApp();
  const admin = await registerAndLogin(t.app, 'matrix-admin'); // the first account is the superuser
  const owner = await registerAndLogin(t.app, 'matrix-owner');
  const other = await registerAndLogin(t.app, 'matrix-other');
  const grantee = await registerAndLogin(t.app, 'matrix-grantee');

  for (const name of COLLECTIONS) {
    const file = path.join(t.documentRoot, `${name}-lighthouse.txt`);
    fs.writeFileSync(file, `The ${name} lighthouse keeper trims the lamp.`);
    const seeded = await seedCollection(t.testDb.database, {
      ownerId: owner.id,
      embedder,
      isPublic: name === 'public',
      documents: [{ path: file, chunks: [`The ${name} lighthouse keeper trims the lamp.`] }],
    });
    const folder = fs.mkdtempSync(path.join(t.documentRoot, `${name}-source-`));
    const added = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${seeded.id}/sources`, payload: { source_path: folder } });
    expect(added.status).toBe(202);
    collections[name] = { id: seeded.id, documentId: seeded.documents[0]!.id, operationId: added.body.id };
  }
  await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).permissions.upsertForUser(collections.granted.id, grantee.id, 'read'));
  const elsewhere = await seedCollection(t.testDb.database, { ownerId: owner.id, embedder, documents: [{ path: '/elsewhere.txt', chunks: ['elsewhere'] }] });

  const key = async (body: Record<string, unknown>) => {
    const res = await call(t.app, owner, { method: 'POST', url: '/api/v2/api-keys', payload: { name: `matrix-${Object.keys(body).join('-')}`, ...body } });
    expect(res.status).toBe(201);
    return res.body.key as string;
  };
  callers.owner = bearer(owner.access);
  callers['other user'] = bearer(other.access);
  callers['other user with a grant'] = bearer(grantee.access);
  callers['read-only key'] = bearer(await key({ scope: 'read' }));
  callers['key limited to another collection'] = bearer(await key({ collection_ids: [elsewhere.id] }));
  callers.superuser = bearer(admin.access);

  await t.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.dispose();
  await embedder.close();
});

const get = (caller: CallerName, url: string) => call(t.app, undefined, { method: 'GET', url, headers: { authorization: callers[caller].authorization } });
const post = (caller: CallerName, url: string, payload: unknown) =>
  call(t.app, undefined, { method: 'POST', url, payload: payload as Record<string, unknown>, headers: { authorization: callers[caller].authorization } });

/** The HTTP status of the socket's upgrade: 101 when it opened. */
function socketStatus(caller: CallerName, operationId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(`${baseUrl}/ws/operations/${operationId}?token=${encodeURIComponent(callers[caller].token)}`);
    client.on('open', () => {
      client.close();
      resolve(101);
    });
    client.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => resolve(res.statusCode));
    client.on('error', reject);
  });
}

/** One MCP tool call over POST /mcp (stateless, JSON answers): whether the tool answered or refused. */
async function mcpTool(caller: CallerName, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; value: any }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { authorization: callers[caller].authorization, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    payload: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } },
  });
  expect(res.statusCode).toBe(200);
  const result = (res.json() as { result: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: unknown } }).result;
  return { isError: result.isError === true, value: result.isError ? result.content[0]?.text : (result.structuredContent ?? JSON.parse(result.content[0]!.text)) };
}

describe.each(Object.keys(MAY_READ) as CallerName[])('%s', (caller) => {
  it('lists exactly the collections and operations the rule lists', async () => {
    const ours = new Set(COLLECTIONS.map((name) => collections[name].id));
    const listedIds = (await get(caller, '/api/v2/collections?per_page=100')).body.collections.map((c: { id: string }) => c.id).filter((id: string) => ours.has(id));
    const expected = LISTED[caller].map((name) => collections[name].id).sort();
    expect(listedIds.sort()).toEqual(expected);

    const operations = (await get(caller, '/api/v2/operations?per_page=100')).body.operations as Array<{ collection_id: string }>;
    expect([...new Set(operations.map((o) => o.collection_id).filter((id) => ours.has(id)))].sort()).toEqual(expected);

    const mcpListed = (await mcpTool(caller, 'list_collections', {})).value.collections.map((c: { id: string }) => c.id).filter((id: string) => ours.has(id));
    expect(mcpListed.sort()).toEqual(expected);
  });

  it('searches several collections at once only when it may read all of them; the 404 names exactly the others', async () => {
    const ids = COLLECTIONS.map((name) => collections[name].id);
    const res = await post(caller, '/api/v2/search', { collection_uuids: ids, query: 'lighthouse', search_type: 'keyword' });
    const hidden = COLLECTIONS.filter((name) => !MAY_READ[caller].includes(name)).map((name) => collections[name].id);
    if (hidden.length === 0) {
      expect(res.status).toBe(200);
      expect(new Set(res.body.results.map((r: { collection_id: string }) => r.collection_id))).toEqual(new Set(ids));
    } else {
      expect(res.status).toBe(404);
      const named = ids.filter((id) => (res.body.detail as string).includes(id));
      expect(named.sort()).toEqual(hidden.sort());
    }
  });

  it.each(COLLECTIONS)('%s collection: every entry point by id agrees with the rule', async (name) => {
    const { id, documentId, operationId } = collections[name];
    const allowed = MAY_READ[caller].includes(name);
    const status = allowed ? 200 : 404;
    const statuses = {
      get: (await get(caller, `/api/v2/collections/${id}`)).status,
      search: (await post(caller, '/api/v2/search/single', { collection_id: id, query: 'lighthouse', search_type: 'keyword' })).status,
      documents: (await get(caller, `/api/v2/collections/${id}/documents`)).status,
      content: (await get(caller, `/api/v2/collections/${id}/documents/${documentId}/content`)).status,
      collectionOperations: (await get(caller, `/api/v2/collections/${id}/operations`)).status,
      operation: (await get(caller, `/api/v2/operations/${operationId}`)).status,
      socket: await socketStatus(caller, operationId),
    };
    expect(statuses).toEqual({ get: status, search: status, documents: status, content: status, collectionOperations: status, operation: status, socket: allowed ? 101 : 404 });

    const found = await mcpTool(caller, 'search', { query: 'lighthouse', collections: [id], search_type: 'keyword' });
    const document = await mcpTool(caller, 'get_document', { document_id: documentId });
    expect({ search: !found.isError, document: !document.isError }).toEqual({ search: allowed, document: allowed });
    if (!allowed) expect(document.value).toContain('not found');
  });
});
