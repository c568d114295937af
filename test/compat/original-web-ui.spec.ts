/**
 * The Python original's web UIs (v2 release e0d751b5 and newest 97f425e2) against this server:
 * each request replays one the UI sends, as the shared compatibility report (compat/original-web-ui.md) records it
 * (bodies, query strings, WebSocket subprotocol), and asserts what the UI reads from the answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { createEmbeddingProvider } from '../../src/ingest/embedding/embedding.registry.js';
import { seedCollection } from '../support/search-fixtures.js';
import { uniqueName } from '../support/test-databases.js';
import { WebSocket, type WsClient } from '../support/ws-client.js';


let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  user = await registerAndLogin(t.app, 'orig');
});
afterAll(async () => {
  await t?.dispose();
});

/** CreateCollectionModal.tsx at e0d751b5, exactly. */
function originalCreateBody(embeddingModel = 'Qwen/Qwen3-Embedding-0.6B') {
  return { name: uniqueName('orig'), description: 'from the original UI', embedding_model: embeddingModel, quantization: 'float16', chunk_size: 512, chunk_overlap: 50, is_public: false };
}

function folder(): string {
  const dir = path.join(t.documentRoot, uniqueName('docs'));
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'a.md'), '# hello\n\nsome words');
  fs.writeFileSync(path.join(dir, 'b.md'), 'more words here');
  return dir;
}

describe('M1: the original model names', () => {
  it.each(['Qwen/Qwen3-Embedding-0.6B', 'intfloat/e5-base-v2', 'sentence-transformers/all-MiniLM-L6-v2'])(
    'POST /api/v2/collections with %s → 201, embedded by the default model and saying so',
    async (name) => {
      const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody(name) });
      expect(res.status).toBe(201);
      expect(res.body.embedding_model).toBe('deterministic-hash-384'); // the test install's default
      expect(res.body.quantization).toBe('float16');
      expect(res.body.metadata.requested_embedding_model).toBe(name);
      expect(res.body.status_message).toContain(`"${name}" is not available on this server`);
    },
  );

  it('a configured OpenAI-compatible endpoint serving that name embeds it (SEMANTIK_OPENAI_MODELS)', async () => {
    vi.stubEnv('SEMANTIK_OPENAI_BASE_URL', 'http://127.0.0.1:9/v1');
    vi.stubEnv('SEMANTIK_OPENAI_MODELS', 'Qwen/Qwen3-Embedding-0.6B');
    vi.stubEnv('SEMANTIK_OPENAI_DIMENSIONS', '1024');
    try {
      const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody() });
      expect(res.status).toBe(201);
      expect(res.body.embedding_model).toBe('openai:Qwen/Qwen3-Embedding-0.6B');
      expect(res.body.metadata.requested_embedding_model).toBeUndefined();
      const models = await call(t.app, user, { method: 'GET', url: '/api/models' });
      expect(models.body.models['openai:Qwen/Qwen3-Embedding-0.6B']).toMatchObject({ dimension: 1024, provider: 'openai-compatible' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('other unknown names are still 422', async () => {
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody('BAAI/bge-m3') });
    expect(res.status).toBe(422);
  });

  it('GET /api/models lists what this server can embed with, in the newest UI\'s shape', async () => {
    const res = await call(t.app, user, { method: 'GET', url: '/api/models' });
    expect(res.status).toBe(200);
    expect(res.body.current_device).toBe('cpu');
    expect(Object.keys(res.body.models).sort()).toEqual(['deterministic-hash-384', 'universal-sentence-encoder-lite']);
    expect(res.body.models['universal-sentence-encoder-lite']).toMatchObject({ model_name: 'universal-sentence-encoder-lite', dimension: 512, provider: 'local' });
    expect(Object.keys(res.body.models)).not.toContain('Qwen/Qwen3-Embedding-0.6B');
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/models' })).status).toBe(401);
  });
});

describe('M2: create answers initial_operation_id', () => {
  it('its socket reports completion at once, and the UI\'s follow-up POST …/sources becomes the index operation', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody() });
    expect(created.body.initial_operation_id).toEqual(expect.any(String));
    const initial = await call(t.app, user, { method: 'GET', url: `/api/v2/operations/${created.body.initial_operation_id}` });
    expect(initial.body).toMatchObject({ status: 'completed', type: 'index', collection_id: created.body.id });
    // The UI then adds the folder with the collection's chunk settings in config (M15).
    const added = await call(t.app, user, {
      method: 'POST',
      url: `/api/v2/collections/${created.body.id}/sources`,
      payload: { source_path: folder(), config: { chunk_size: 512, chunk_overlap: 50 } },
    });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ type: 'index', status: 'pending' });
  });
});

describe('M3/M4: the operations list of both UIs', () => {
  it('v2 release: GET /api/v2/operations?status=processing,pending&limit=100 → a bare array with a numeric progress', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody() });
    const added = await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${created.body.id}/sources`, payload: { source_path: folder() } });
    await inUnitOfWork(t.testDb.database, async (tx) => {
      const repos = repositoriesFor(tx);
      await repos.operations.markStatus(added.body.id, 'processing', { started_at: new Date() });
      await tx.updateTable('operations').set({ total_files: 4, processed_files: 1 }).where('id', '=', added.body.id).execute();
    });
    const res = await call(t.app, user, { method: 'GET', url: '/api/v2/operations?status=processing,pending&limit=100' });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const mine = res.body.find((o: { id: string }) => o.id === added.body.id);
    expect(mine).toMatchObject({ status: 'processing', progress: 25, progress_details: { total_files: 4, processed_files: 1, percentage: 25 } });
    expect(Math.round(mine.progress)).toBe(25); // what the tab renders: `${Math.round(progress)}%`
  });

  it('newest UI and ours: page/per_page → the {operations, total, page, per_page} envelope with the progress object', async () => {
    const res = await call(t.app, user, { method: 'GET', url: '/api/v2/operations?status=processing,pending&page=1&per_page=100' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: expect.any(Number), page: 1, per_page: 100 });
    expect(res.body.operations.every((o: { progress: unknown }) => typeof o.progress === 'object')).toBe(true);
  });
});

describe('newest UI: API keys', () => {
  it('create answers api_key (and key), list has total and last_used_at, PATCH {is_active:false} revokes, reactivation is 409', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'newest-ui', expires_in_days: 30 } });
    expect(created.status).toBe(201);
    expect(created.body.api_key).toMatch(/^smk_/);
    expect(created.body.key).toBe(created.body.api_key);
    expect(created.body.api_key.substring(0, 8)).toBe('smk_' + created.body.api_key.slice(4, 8));
    const used = await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: { 'x-api-key': created.body.api_key } });
    expect(used.status).toBe(200);

    const list = await call(t.app, user, { method: 'GET', url: '/api/v2/api-keys' });
    expect(list.body.total).toBe(list.body.api_keys.length);
    expect(list.body.api_keys.find((k: { id: string }) => k.id === created.body.id).last_used_at).toEqual(expect.any(String));

    const off = await call(t.app, user, { method: 'PATCH', url: `/api/v2/api-keys/${created.body.id}`, payload: { is_active: false } });
    expect(off.status).toBe(200);
    expect(off.body.is_active).toBe(false);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: { 'x-api-key': created.body.api_key } })).status).toBe(401);
    const on = await call(t.app, user, { method: 'PATCH', url: `/api/v2/api-keys/${created.body.id}`, payload: { is_active: true } });
    expect(on.status).toBe(409);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: { 'x-api-key': created.body.api_key } })).status).toBe(401);
  });

  it('PATCH needs a signed-in session (an API key gets 403) and someone else\'s key is 404', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'k2' } });
    const viaKey = await call(t.app, undefined, { method: 'PATCH', url: `/api/v2/api-keys/${created.body.id}`, payload: { is_active: false }, headers: { 'x-api-key': created.body.api_key } });
    expect(viaKey.status).toBe(403);
    const other = await registerAndLogin(t.app, 'other');
    expect((await call(t.app, other, { method: 'PATCH', url: `/api/v2/api-keys/${created.body.id}`, payload: { is_active: false } })).status).toBe(404);
  });
});

describe('newest UI: WebSocket with Sec-WebSocket-Protocol access_token.<jwt>', () => {
  let baseUrl: string;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  function open(url: string, protocols: string[]): Promise<{ client: WsClient; first: Promise<any> }> {
    return new Promise((resolve, reject) => {
      const client = new WebSocket(url, protocols);
      const first = new Promise((r) => client.on('message', (data) => r(JSON.parse(data.toString()))));
      client.on('open', () => resolve({ client, first }));
      client.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => reject(new Error(`HTTP ${res.statusCode}`)));
      client.on('error', reject);
    });
  }

  it('authenticates with the subprotocol and echoes it; a bad token is 401', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody() });
    const protocol = `access_token.${user.access}`;
    const { client, first } = await open(`${baseUrl}/ws/operations/${created.body.initial_operation_id}`, [protocol]);
    expect(client.protocol).toBe(protocol);
    expect(await first).toMatchObject({ type: 'operation_completed', data: { status: 'completed' } });
    client.close();
    await expect(open(`${baseUrl}/ws/operations/${created.body.initial_operation_id}`, ['access_token.garbage'])).rejects.toThrow('HTTP 401');
  });

  it('useDirectoryScanWebSocket: /ws/directory-scan/{scan_id} with the subprotocol, opened with the POST, ends with completed', async () => {
    const scanId = '0b6f3c1e-2d4a-4b5c-8d9e-0f1a2b3c4d5e';
    const { client, first } = await open(`${baseUrl}/ws/directory-scan/${scanId}`, [`access_token.${user.access}`]);
    const messages: any[] = [];
    client.on('message', (data) => messages.push(JSON.parse(data.toString())));
    const closed = new Promise<number>((r) => client.on('close', (code) => r(code)));
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/directory-scan/preview', payload: { path: folder(), scan_id: scanId, recursive: true } });
    expect(res.status).toBe(200);
    expect(await closed).toBe(1000);
    expect(await first).toMatchObject({ type: 'started', scan_id: scanId });
    expect(messages.at(-1)).toMatchObject({ type: 'completed', scan_id: scanId, data: { total_files: 2, total_size: 34, warnings: [] } });
  });
});

describe('M6: the create dialog\'s "Scan" button (directory-scan preview)', () => {
  it('POST /api/v2/directory-scan/preview {path, scan_id, recursive:true} → the counts and file paths the UI reads', async () => {
    const dir = folder();
    // useDirectoryScan: a UUID scan_id, recursive always true.
    const body = { path: dir, scan_id: '3f1c2a9e-6b4d-4e8f-9a0b-1c2d3e4f5a6b', recursive: true };
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/directory-scan/preview', payload: body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scan_id: body.scan_id, path: dir, total_files: 2, total_size: 34, warnings: [] });
    // The UI maps files to their paths and shows warnings[0] as an error unless it is the "in progress" one.
    expect(res.body.files.map((f: { file_path: string }) => f.file_path).sort()).toEqual([path.join(dir, 'a.md'), path.join(dir, 'b.md')]);
    expect(res.body.files[0]).toMatchObject({ file_name: expect.any(String), file_size: expect.any(Number), mime_type: 'text/markdown', modified_at: expect.any(String) });
  });

  it('a folder outside the roots is a 400 whose detail the UI prints under the path field', async () => {
    const other = await registerAndLogin(t.app, 'scan', { documentRoots: [folder()] });
    const res = await call(t.app, other, { method: 'POST', url: '/api/v2/directory-scan/preview', payload: { path: '/etc', scan_id: 'scan-18c0ffee-1a2b3c4d', recursive: true } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not a folder inside your allowed document roots/);
  });
});

describe('endpoints the original UIs read', () => {
  it('GET /api/v2/system/status says reranking and GPU are unavailable', async () => {
    const res = await call(t.app, user, { method: 'GET', url: '/api/v2/system/status' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ gpu_available: false, reranking_available: false });
  });

  it('GET /api/settings/stats answers the Settings page numbers that exist here', async () => {
    const res = await call(t.app, user, { method: 'GET', url: '/api/settings/stats' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ collection_count: expect.any(Number), file_count: expect.any(Number), parquet_files_count: 0, parquet_size_mb: 0 });
    expect(res.body.collection_count).toBeGreaterThan(0);
    expect(res.body.database_size_mb).toBeGreaterThan(0); // the first user is the administrator
  });

  it('documents carry source_path (the Files tab and Source Directories read it)', async () => {
    const created = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: originalCreateBody() });
    const dir = folder();
    await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${created.body.id}/sources`, payload: { source_path: dir } });
    await inUnitOfWork(t.testDb.database, async (tx) => {
      const repos = repositoriesFor(tx);
      const [source] = await repos.sources.listByCollection(created.body.id);
      await repos.documents.insert({ collection_id: created.body.id, source_id: source!.id, file_path: path.join(dir, 'a.md'), file_name: 'a.md', file_size: 20, mime_type: 'text/markdown', content_hash: uniqueName('h') });
    });
    // CollectionDetailsModal at e0d751b5 sends `limit`, which both servers ignore (O5).
    const docs = await call(t.app, user, { method: 'GET', url: `/api/v2/collections/${created.body.id}/documents?page=1&limit=50` });
    expect(docs.status).toBe(200);
    expect(docs.body.documents[0].source_path).toBe(dir);
  });

  it('search: a top-level chunk_index, the timing fields, use_reranker → reranking_used:false, question/code are semantic', async () => {
    const embedder = createEmbeddingProvider('deterministic-hash-384');
    const seeded = await seedCollection(t.testDb.database, {
      ownerId: user.id,
      embedder,
      documents: [{ path: '/docs/garden.md', chunks: ['gardening tomatoes in spring', 'watering tomatoes in summer'] }],
    });
    await embedder.close();
    // SearchPage at e0d751b5 with reranking ticked and the hybrid checkbox on.
    const body = {
      query: 'tomatoes',
      collection_uuids: [seeded.id],
      k: 10,
      score_threshold: 0,
      search_type: 'hybrid',
      use_reranker: true,
      rerank_model: 'Qwen/Qwen3-Reranker-0.6B',
      hybrid_alpha: 0.7,
      hybrid_mode: 'reciprocal_rank',
      keyword_mode: 'bm25',
    };
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/search', payload: body });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reranking_used: false, reranker_model: null, partial_failure: false, failed_collections: [] });
    expect(res.body.total_time_ms).toEqual(expect.any(Number));
    expect(res.body.embedding_time_ms).toEqual(expect.any(Number));
    expect(res.body.results.map((r: { chunk_index: number }) => r.chunk_index).sort()).toEqual(
      res.body.results.map((r: { metadata: { chunk_index: number } }) => r.metadata.chunk_index).sort(),
    );
    expect(res.body.results[0].chunk_index).toEqual(expect.any(Number));

    for (const type of ['question', 'code']) {
      const typed = await call(t.app, user, { method: 'POST', url: '/api/v2/search', payload: { ...body, search_type: type } });
      expect(typed.status, type).toBe(200);
      expect(typed.body.search_type).toBe('semantic');
    }
  });
});
