import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleTextPage } from '../documents/document-text.service.js';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { chunkText } from '../ingest/index.js';
import { seedCollection } from '../../test/support/search-fixtures.js';

// Both MCP transports driven by the SDK's own client against a real database: the HTTP one on a
// listening server (ephemeral port), stdio by spawning the real CLI. Same data and keys for both.
const BIN = path.resolve(import.meta.dirname, '../../bin/semantik.js');

const LONG_TEXT = Array.from(
  { length: 12 },
  (_, i) => `Sentence ${i + 1} of the harbour logbook records the tide, the wind and the ships that came in that day.`,
).join(' ');

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let mcpUrl: URL;
let aliceKey: string;
let bobKey: string;
let aliceCollection: Awaited<ReturnType<typeof seedCollection>>;
let bobCollection: Awaited<ReturnType<typeof seedCollection>>;
const embedder = createEmbeddingProvider('deterministic-hash-384');

async function createKey(user: TestUser, body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await call(t.app, user, { method: 'POST', url: '/api/v2/api-keys', payload: { name: `mcp-${Math.random()}`, ...body } });
  if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function revokeKey(user: TestUser, id: string): Promise<void> {
  expect((await call(t.app, user, { method: 'DELETE', url: `/api/v2/api-keys/${id}` })).status).toBe(204);
}

interface ToolAnswer {
  isError: boolean;
  text: string;
  value: any;
}

async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
  return { isError: result.isError === true, text, value: result.isError ? undefined : (result.structuredContent ?? JSON.parse(text)) };
}

const openClients: Client[] = [];
async function httpClient(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'semantik-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } }));
  openClients.push(client);
  return client;
}

function stdioEnv(apiKey: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    SEMANTIK_FROM_SOURCE: '1',
    DATABASE_URL: t.testDb.url!,
    SEMANTIK_DATA_DIR: path.join(t.documentRoot, '.data'),
    // info, so the start-up line is written: it must land on stderr, never in the protocol on stdout.
    LOG_LEVEL: 'info',
    ...(apiKey ? { SEMANTIK_API_KEY: apiKey } : { SEMANTIK_API_KEY: '' }),
  };
}

async function stdioClient(apiKey: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env: stdioEnv(apiKey), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'semantik-test', version: '1.0.0' });
  await client.connect(transport);
  openClients.push(client);
  return { client, stderr: () => stderr };
}

/** CLI runs not yet ended: a test that times out must not leave its `semantik mcp` running (leak check). */
const runningCli = new Set<ChildProcess>();

/** The CLI run to its end (for start-up refusals). */
function runMcpCli(apiKey: string | undefined, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'mcp'], { env: { ...stdioEnv(apiKey), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  runningCli.add(child);
  child.on('close', () => runningCli.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  t = await createTestApp();
  // The first account is the superuser; alice and bob are plain users.
  await registerAndLogin(t.app, 'mcp-admin');
  alice = await registerAndLogin(t.app, 'mcp-alice');
  bob = await registerAndLogin(t.app, 'mcp-bob');
  const logbookChunks = chunkText(LONG_TEXT, { chunkSize: 200, chunkOverlap: 50, format: 'plain' }).map((c) => ({
    text: c.text,
    startOffset: c.startOffset,
    endOffset: c.endOffset,
  }));
  aliceCollection = await seedCollection(t.testDb.database, {
    ownerId: alice.id,
    name: 'alice-notes',
    embedder,
    documents: [
      { path: '/docs/lighthouse.md', mimeType: 'text/markdown', chunks: ['The lighthouse keeper trims the lamp wick every evening.'] },
      { path: '/docs/volcano.pdf', mimeType: 'application/pdf', metadata: { file_type: 'pdf' }, chunks: ['Magma rises through the crust and erupts as lava.'] },
      { path: '/docs/logbook.txt', chunks: logbookChunks },
    ],
  });
  bobCollection = await seedCollection(t.testDb.database, {
    ownerId: bob.id,
    name: 'bob-notes',
    embedder,
    documents: [{ path: '/bob/garden.txt', chunks: ['Tomatoes need sun; the lighthouse is far from the garden.'] }],
  });
  aliceKey = (await createKey(alice, { scope: 'read' })).key;
  bobKey = (await createKey(bob)).key;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  mcpUrl = new URL(`http://127.0.0.1:${address.port}/mcp`);
}, 60_000);

afterAll(async () => {
  for (const child of runningCli) await new Promise((resolve) => (child.once('close', resolve), child.kill()));
  for (const client of openClients) await client.close().catch(() => {});
  await t?.dispose();
  await embedder.close();
});

const logbook = () => aliceCollection.documents.find((d) => d.path === '/docs/logbook.txt')!;

/** The behaviour every transport must have; `connect` gives a client acting with that API key. */
function describeTools(transport: string, connect: (apiKey: string) => Promise<Client>) {
  describe(`MCP over ${transport}`, () => {
    let asAlice: Client;
    let asBob: Client;
    beforeAll(async () => {
      asAlice = await connect(aliceKey);
      asBob = await connect(bobKey);
    }, 60_000);

    it('lists the three read-only tools with their input schemas', async () => {
      const { tools } = await asAlice.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['get_document', 'list_collections', 'search']);
      const searchTool = tools.find((tool) => tool.name === 'search')!;
      expect(Object.keys(searchTool.inputSchema.properties ?? {}).sort()).toEqual(['collections', 'k', 'metadata_filter', 'query', 'score_threshold', 'search_type']);
      expect(searchTool.inputSchema.required).toEqual(['query']);
      expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    });

    it('search finds the expected file by collection name, by id, and across all visible collections', async () => {
      for (const collections of [['alice-notes'], [aliceCollection.id], undefined]) {
        for (const search_type of ['hybrid', 'semantic', 'keyword']) {
          const answer = await callTool(asAlice, 'search', { query: 'lighthouse keeper lamp', search_type, k: 3, ...(collections ? { collections } : {}) });
          expect(answer.isError, answer.text).toBe(false);
          expect(answer.value.results[0]).toEqual({
            document_id: expect.any(String),
            file_name: 'lighthouse.md',
            file_path: '/docs/lighthouse.md',
            collection_id: aliceCollection.id,
            collection_name: 'alice-notes',
            score: expect.any(Number),
            passage: 'The lighthouse keeper trims the lamp wick every evening.',
          });
          expect(answer.value.collections_searched).toEqual([{ id: aliceCollection.id, name: 'alice-notes' }]);
        }
      }
      const filtered = await callTool(asAlice, 'search', { query: 'lava', metadata_filter: { file_type: 'pdf' } });
      expect(filtered.value.results.map((r: { file_name: string }) => r.file_name)).toEqual(['volcano.pdf']);
    });

    it('list_collections answers name, description, counts, model and status of what the key may see', async () => {
      const answer = await callTool(asAlice, 'list_collections');
      expect(answer.value.collections).toEqual([
        {
          id: aliceCollection.id,
          name: 'alice-notes',
          description: null,
          status: expect.any(String),
          document_count: expect.any(Number),
          vector_count: expect.any(Number),
          embedding_model: 'deterministic-hash-384',
          is_public: false,
          owned_by_you: true,
        },
      ]);
    });

    it('get_document pages through the extracted text without repeating the chunk overlap', async () => {
      const whole = await callTool(asAlice, 'get_document', { document_id: logbook().id, max_chars: 8000 });
      expect(whole.isError, whole.text).toBe(false);
      expect(whole.value.document).toMatchObject({ id: logbook().id, file_name: 'logbook.txt', collection_name: 'alice-notes', file_path: '/docs/logbook.txt' });
      expect(whole.value.text).toBe(LONG_TEXT);
      expect(whole.value.next_from_chunk).toBeNull();

      let text = '';
      let from: number | null = 0;
      let pages = 0;
      while (from !== null) {
        const page = await callTool(asAlice, 'get_document', { document_id: logbook().id, from_chunk: from, max_chars: 300 });
        expect(page.value.text.length).toBeLessThanOrEqual(300);
        text += page.value.text;
        from = page.value.next_from_chunk;
        pages++;
      }
      expect(text).toBe(LONG_TEXT);
      expect(pages).toBeGreaterThan(3);
    });

    it("a second user's key sees nothing of the first user's private collection through any tool", async () => {
      const listed = await callTool(asBob, 'list_collections');
      expect(listed.value.collections.map((c: { name: string }) => c.name)).toEqual(['bob-notes']);
      const all = await callTool(asBob, 'search', { query: 'lighthouse keeper lamp' });
      expect(all.value.collections_searched).toEqual([{ id: bobCollection.id, name: 'bob-notes' }]);
      expect(all.value.results.map((r: { file_name: string }) => r.file_name)).toEqual(['garden.txt']);
      for (const collections of [[aliceCollection.id], ['alice-notes'], [bobCollection.id, aliceCollection.id]]) {
        const refused = await callTool(asBob, 'search', { query: 'lighthouse', collections });
        expect(refused.isError).toBe(true);
        expect(refused.text).toMatch(/not found|No collection named/);
        expect(refused.text).not.toContain('lighthouse.md');
      }
      const document = await callTool(asBob, 'get_document', { document_id: logbook().id });
      expect(document).toEqual({ isError: true, text: `Document ${logbook().id} not found`, value: undefined });
    });

    it('bad arguments are tool errors that name the problem', async () => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['search', { query: '   ' }, 'query must not be empty'],
        ['search', { query: 'x', k: 51 }, 'k must be between 1 and 50'],
        ['search', { query: 'x', search_type: 'fuzzy' }, 'search_type'],
        ['search', { query: 'x', collections: Array(11).fill('alice-notes') }, 'at most 10 collections'],
        ['search', { query: 'x', metadata_filter: { document_id: 'nope' } }, 'document_id'],
        ['search', {}, 'query'],
        ['get_document', { document_id: 'not-a-uuid' }, 'document_id must be a UUID'],
        ['get_document', { document_id: logbook().id, max_chars: 100_000 }, 'max_chars must be between 200 and 8000'],
        ['get_document', { document_id: '00000000-0000-4000-8000-0000000000aa' }, 'Document 00000000-0000-4000-8000-0000000000aa not found'],
      ];
      for (const [tool, args, message] of cases) {
        const answer = await callTool(asAlice, tool, args);
        expect(answer.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
        expect(answer.text).toContain(message);
      }
    });

    it('a key revoked during a session is refused on its next call', async () => {
      const { id, key } = await createKey(alice);
      const client = await connect(key);
      expect((await callTool(client, 'list_collections')).isError).toBe(false);
      await revokeKey(alice, id);
      const after = await client.callTool({ name: 'list_collections', arguments: {} }).then(
        (result) => (result.content as Array<{ text: string }>)[0]!.text,
        (err: Error) => err.message,
      );
      expect(after).toMatch(/revoked|401|Unauthorized/i);
    });
  });
}

describeTools('Streamable HTTP (POST /mcp)', (apiKey) => httpClient({ authorization: `Bearer ${apiKey}` }));
describeTools('stdio (semantik mcp)', async (apiKey) => (await stdioClient(apiKey)).client);

describe('MCP over HTTP: authentication', () => {
  it('refuses no credentials and revoked keys with 401; takes X-API-Key and access tokens; GET is 405', async () => {
    const anonymous = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const { id, key } = await createKey(alice);
    await revokeKey(alice, id);
    await expect(httpClient({ authorization: `Bearer ${key}` })).rejects.toThrow(/401|revoked/i);

    const viaHeader = await httpClient({ 'x-api-key': aliceKey });
    expect((await callTool(viaHeader, 'list_collections')).value.total).toBe(1);
    const viaToken = await httpClient(alice.auth);
    expect((await callTool(viaToken, 'list_collections')).value.total).toBe(1);

    const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${aliceKey}` } });
    expect(get.status).toBe(405);
  });

  it('refuses JSON-RPC batches (one search per request, as over the HTTP API)', async () => {
    const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'search', arguments: { query: 'lighthouse' } } });
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${aliceKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify([call(1), call(2)]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('batches are not accepted');
  });

  it('a collection-scoped key reaches only its collections, like over the HTTP API', async () => {
    const publicOther = await seedCollection(t.testDb.database, { ownerId: bob.id, name: 'bob-public', isPublic: true, embedder, documents: [{ path: '/p/a.txt', chunks: ['public lighthouse'] }] });
    const { key } = await createKey(alice, { collection_ids: [aliceCollection.id] });
    const scoped = await httpClient({ authorization: `Bearer ${key}` });
    expect((await callTool(scoped, 'list_collections')).value.collections.map((c: { name: string }) => c.name)).toEqual(['alice-notes']);
    const refused = await callTool(scoped, 'search', { query: 'lighthouse', collections: [publicOther.id] });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('not found');
    // Unscoped, the public collection is visible to alice.
    const unscoped = await httpClient({ authorization: `Bearer ${aliceKey}` });
    expect((await callTool(unscoped, 'list_collections')).value.total).toBe(2);
    // Names are per owner: alice's own "bob-public" and bob's public one make the name ambiguous.
    const own = await seedCollection(t.testDb.database, { ownerId: alice.id, name: 'bob-public', embedder, documents: [{ path: '/a/b.txt', chunks: ['mine'] }] });
    const ambiguous = await callTool(unscoped, 'search', { query: 'lighthouse', collections: ['bob-public'] });
    expect(ambiguous.isError).toBe(true);
    expect(ambiguous.text).toContain('Several collections you can see are named "bob-public"');
    expect(ambiguous.text).toContain(own.id);
    expect(ambiguous.text).toContain(publicOther.id);
  });
});

describe('semantik mcp: start-up refusals (stdio)', () => {
  it('a revoked or missing key exits 1–2 with the reason on stderr and nothing on stdout', async () => {
    const { id, key } = await createKey(bob);
    await revokeKey(bob, id);
    const revoked = await runMcpCli(key);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('Invalid, expired or revoked API key');
    expect(revoked.stdout).toBe('');
    const missing = await runMcpCli(undefined);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('SEMANTIK_API_KEY is not set');
    expect(missing.stdout).toBe('');
  }, 60_000);

  it('on the embedded database too: an unmigrated one exits 2 naming the fix (the exit code survives closing PGlite)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-mcp-embedded-'));
    try {
      const result = await runMcpCli(aliceKey, { DATABASE_URL: '', SEMANTIK_DATA_DIR: dataDir });
      expect(result.stderr).toContain('pending migration');
      expect(result.stderr).toContain('semantik db migrate');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs go to stderr while the protocol runs on stdout', async () => {
    const { client, stderr } = await stdioClient(aliceKey);
    expect((await callTool(client, 'list_collections')).isError).toBe(false);
    expect(stderr()).toContain('MCP server on stdio');
  }, 60_000);
});

describe('assembleTextPage', () => {
  const chunk = (chunk_index: number, text: string, start: number | null) => ({
    chunk_index,
    text,
    start_offset: start,
    end_offset: start === null ? null : start + text.length,
    page: null,
  });
  it('drops the overlap where offsets are exact, separates chunks without them, and cuts a lone oversized chunk', () => {
    expect(assembleTextPage(undefined, [chunk(0, 'abcdef', 0), chunk(1, 'efghij', 4)], 100, false)).toEqual({ text: 'abcdefghij', nextFromChunk: null, cut: false, startPage: null });
    expect(assembleTextPage(undefined, [chunk(0, 'abc', null), chunk(1, 'def', null)], 100, false).text).toBe('abc\n\ndef');
    expect(assembleTextPage(undefined, [chunk(0, 'abcdef', 0), chunk(1, 'efghij', 4)], 8, true)).toEqual({ text: 'abcdef', nextFromChunk: 1, cut: false, startPage: null });
    expect(assembleTextPage(undefined, [chunk(3, 'x'.repeat(50), 0)], 10, true)).toEqual({ text: 'x'.repeat(10), nextFromChunk: 4, cut: true, startPage: null });
    // The chunk before the page only trims the overlap.
    expect(assembleTextPage(chunk(0, 'abcdef', 0), [chunk(1, 'efghij', 4)], 100, false).text).toBe('ghij');
  });
});
