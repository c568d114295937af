import fs from 'node:fs';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { makeTempDir } from '../fixtures/document-files.js';
import { tableFingerprints } from './reliability-support.js';

/**
 * Fuzz-style bad input against the HTTP API: malformed JSON, wrong types, bodies over the limit,
 * path traversal and symlinks escaping the document roots, SQL metacharacters in every string and
 * sort parameter, invalid UUIDs. Every answer must be a clear 4xx `{detail, code}` (never a 500,
 * never a hang) and the tables the requests could touch must be byte-for-byte unchanged (row
 * counts + md5 of every row). Valid requests that merely carry SQL metacharacters are checked
 * separately: they succeed and store the text literally.
 */
const BODY_LIMIT = 64 * 1024;
const TABLES = [
  'users',
  'refresh_tokens',
  'api_keys',
  'collections',
  'collection_sources',
  'collection_permissions',
  'collection_resource_limits',
  'collection_audit_log',
  'operations',
  'operation_metrics',
  'documents',
  'chunks',
  'chunk_embeddings',
];

const SQL_META = [
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '" OR ""="',
  '1; SELECT pg_sleep(5)',
  "name') UNION SELECT * FROM users --",
  '%_\\',
  '$1',
  "E'\\x00'",
  '/* */ --',
  'collections.name; DELETE FROM collections',
];
const BAD_UUIDS = ['not-a-uuid', '123', "' OR 1=1 --", '00000000-0000-0000-0000-00000000000g', '00000000000000000000000000000000', '%27', '..', 'null', '{}'];
/** Wrong-typed values, each invalid for a field of the given kind (never a value the schema accepts). */
const WRONG = {
  string: [123, true, [], {}, ['a'], { $ne: 1 }],
  /** Objects are valid records, so only non-objects here. */
  record: [123, 'x', [], true, ['a']],
  requiredString: [null, 123, true, [], {}, '', '   '],
  int: ['12', 'abc', [], {}, true, 1.5, -5, 1e308, null],
  optionalInt: ['12', 'abc', [], {}, true, 1.5, -5, 1e308],
  bool: ['true', 1, 0, [], {}, 'yes'],
  uuidList: [[], ['not-a-uuid'], "' OR 1=1 --", [null], [123], Array.from({ length: 11 }, () => '00000000-0000-4000-8000-000000000000')],
};

interface Probe {
  what: string;
  request: InjectOptions;
}

let t: TestApp;
let owner: TestUser;
let other: TestUser;
let collectionId: string;
let outside: string;

beforeAll(async () => {
  t = await createTestApp({ env: { SEMANTIK_MAX_BODY_BYTES: String(BODY_LIMIT) } });
  owner = await registerAndLogin(t.app, 'fuzz');
  other = await registerAndLogin(t.app, 'stranger');
  collectionId = (await createCollectionVia(t.app, owner, { embedding_model: 'deterministic-hash-384' })).id;
  // A folder outside the document root, reachable from inside only through symlinks.
  outside = makeTempDir('semantik-outside-');
  fs.mkdirSync(path.join(outside, 'secret'));
  fs.writeFileSync(path.join(outside, 'secret', 'passwords.txt'), 'hunter2');
  fs.symlinkSync(outside, path.join(t.documentRoot, 'escape-dir'));
  fs.symlinkSync(path.join(outside, 'secret'), path.join(t.documentRoot, 'escape-secret'));
  fs.symlinkSync('/etc', path.join(t.documentRoot, 'etc-link'));
  fs.mkdirSync(path.join(t.documentRoot, 'inside'));
  fs.writeFileSync(path.join(t.documentRoot, 'inside', 'a-file.txt'), 'hello');
});

afterAll(async () => {
  await t?.dispose();
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

function json(method: InjectOptions['method'], url: string, payload: unknown): InjectOptions {
  return { method, url, payload: payload as InjectOptions['payload'] };
}

function raw(method: InjectOptions['method'], url: string, body: string, contentType = 'application/json'): InjectOptions {
  return { method, url, payload: body, headers: { 'content-type': contentType } };
}

/** Every body field replaced, one at a time, by each wrong value for its kind. */
function wrongTypes(method: InjectOptions['method'], url: string, valid: Record<string, unknown>, fields: Record<string, keyof typeof WRONG>): Probe[] {
  return Object.entries(fields).flatMap(([field, kind]) =>
    WRONG[kind].map((value) => ({ what: `${method} ${url} ${field}=${JSON.stringify(value)?.slice(0, 40)}`, request: json(method, url, { ...valid, [field]: value }) })),
  );
}

function probes(ownedName: string): Probe[] {
  const c = `/api/v2/collections/${collectionId}`;
  const root = t.documentRoot;
  const list: Probe[] = [];
  const add = (what: string, request: InjectOptions) => list.push({ what, request });

  // Malformed JSON on every route that takes a body.
  const bodyRoutes: [InjectOptions['method'], string][] = [
    ['POST', '/api/auth/register'],
    ['POST', '/api/auth/login'],
    ['POST', '/api/auth/refresh'],
    ['POST', '/api/v2/collections'],
    ['PUT', c],
    ['POST', `${c}/sources`],
    ['POST', `${c}/reindex`],
    ['POST', '/api/v2/search'],
    ['POST', '/api/v2/search/single'],
    ['POST', '/api/v2/api-keys'],
  ];
  const malformed = ['{', '{"name":', '[1,2', 'nul', '{"a":1}}', "{'name':'x'}", '{"name":"x",}', '\u0000', '{"name":"\\ud800"', '{"__proto__":{"admin":true},"name":"x"}'];
  for (const [method, url] of bodyRoutes) {
    for (const body of malformed) add(`${method} ${url} malformed ${JSON.stringify(body)}`, raw(method, url, body));
    add(`${method} ${url} text/plain`, raw(method, url, 'name=x', 'text/plain'));
    add(`${method} ${url} over the body limit`, raw(method, url, JSON.stringify({ name: 'x'.repeat(BODY_LIMIT + 10) })));
    add(`${method} ${url} deeply nested`, raw(method, url, '['.repeat(20_000) + ']'.repeat(20_000)));
  }

  // Wrong types, field by field.
  list.push(
    ...wrongTypes('POST', '/api/auth/register', { username: 'fuzzed', email: 'f@example.test', password: 'long-enough-pw' }, {
      username: 'requiredString',
      email: 'requiredString',
      password: 'requiredString',
    }),
    ...wrongTypes('POST', '/api/auth/login', { username: owner.username, password: owner.password }, { username: 'requiredString', password: 'requiredString' }),
    ...wrongTypes('POST', '/api/v2/collections', { name: 'fuzz-new' }, {
      name: 'requiredString',
      description: 'string',
      embedding_model: 'requiredString',
      chunk_size: 'int',
      chunk_overlap: 'int',
      is_public: 'bool',
      quantization: 'requiredString',
      metadata: 'record',
    }),
    ...wrongTypes('PUT', c, {}, { name: 'requiredString', description: 'string', is_public: 'bool', metadata: 'record' }),
    ...wrongTypes('POST', `${c}/reindex`, {}, { chunk_size: 'int', chunk_overlap: 'int', embedding_model: 'requiredString' }),
    ...wrongTypes('POST', `${c}/sources`, { source_path: `${root}/inside` }, { source_path: 'requiredString', config: 'record' }),
    ...wrongTypes('POST', '/api/v2/search', { collection_uuids: [collectionId], query: 'q' }, {
      collection_uuids: 'uuidList',
      query: 'requiredString',
      k: 'int',
      search_type: 'requiredString',
      include_content: 'bool',
      hybrid_alpha: 'int',
    }),
    ...wrongTypes('POST', '/api/v2/api-keys', { name: 'k' }, { name: 'requiredString', expires_in_days: 'optionalInt' }),
  );
  add('create: overlap ≥ size', json('POST', '/api/v2/collections', { name: 'fuzz-overlap', chunk_size: 500, chunk_overlap: 500 }));
  add('create: unknown embedding model', json('POST', '/api/v2/collections', { name: 'fuzz-model', embedding_model: "x'; DROP TABLE chunks; --" }));
  add('create: duplicate name', json('POST', '/api/v2/collections', { name: ownedName }));

  // Path traversal and symlink escapes in source paths.
  const traversal = [
    '../etc',
    'relative/folder',
    `${root}/../`,
    `${root}/inside/../../`,
    `${root}/inside/..`,
    `${root}/escape-dir`,
    `${root}/escape-secret`,
    `${root}/escape-dir/secret`,
    `${root}/etc-link`,
    `${root}/inside/a-file.txt`,
    `${root}/does-not-exist`,
    `${root}/inside\u0000/etc`,
    '/etc',
    '/',
    `${outside}/secret`,
    '%2e%2e%2f%2e%2e%2fetc',
    `${root}/..%2f..%2fetc`,
    `${root}\\..\\..\\etc`,
  ];
  for (const sourcePath of traversal) {
    add(`add source ${sourcePath}`, json('POST', `${c}/sources`, { source_path: sourcePath }));
    add(`remove source ${sourcePath}`, { method: 'DELETE', url: `${c}/sources?source_path=${encodeURIComponent(sourcePath)}` });
  }
  add('add source: include glob of 501 chars', json('POST', `${c}/sources`, { source_path: `${root}/inside`, config: { include: ['x'.repeat(501)] } }));

  // SQL metacharacters in every string and sort parameter that is not a free-text value.
  for (const meta of SQL_META) {
    const q = encodeURIComponent(meta);
    add(`list sort_by ${meta}`, { method: 'GET', url: `/api/v2/collections?sort_by=${q}` });
    add(`list sort_order ${meta}`, { method: 'GET', url: `/api/v2/collections?sort_order=${q}` });
    add(`list page ${meta}`, { method: 'GET', url: `/api/v2/collections?page=${q}` });
    add(`list per_page ${meta}`, { method: 'GET', url: `/api/v2/collections?per_page=${q}` });
    add(`documents status ${meta}`, { method: 'GET', url: `${c}/documents?status=${q}` });
    add(`collection operations status ${meta}`, { method: 'GET', url: `${c}/operations?status=${q}&type=${q}` });
    add(`operations status ${meta}`, { method: 'GET', url: `/api/v2/operations?status=pending,${q}` });
    add(`operations type ${meta}`, { method: 'GET', url: `/api/v2/operations?operation_type=${q}` });
    add(`search type ${meta}`, json('POST', '/api/v2/search', { collection_uuids: [collectionId], query: 'q', search_type: meta }));
    add(`search uuid ${meta}`, json('POST', '/api/v2/search', { collection_uuids: [meta], query: 'q' }));
    add(`create quantization ${meta}`, json('POST', '/api/v2/collections', { name: 'fuzz-q', quantization: meta }));
    add(`create model ${meta}`, json('POST', '/api/v2/collections', { name: 'fuzz-m', embedding_model: meta }));
    add(`reindex model ${meta}`, json('POST', `${c}/reindex`, { embedding_model: meta }));
    add(`login ${meta}`, json('POST', '/api/auth/login', { username: meta, password: meta }));
    add(`refresh ${meta}`, json('POST', '/api/auth/refresh', { refresh_token: meta }));
    add(`bearer ${meta}`, { method: 'GET', url: '/api/v2/collections', headers: { authorization: `Bearer ${meta.replace(/\s/g, '')}` } });
    add(`api key ${meta}`, { method: 'GET', url: '/api/v2/collections', headers: { authorization: '', 'x-api-key': `smk_${meta}` } });
  }
  // NUL bytes: valid JSON strings that PostgreSQL text and jsonb cannot hold (a search *query*
  // with one is fine: it is only tokenised, and answers 200 with no results).
  const nul = 'a\u0000b';
  add('create name NUL', json('POST', '/api/v2/collections', { name: nul }));
  add('create description NUL', json('POST', '/api/v2/collections', { name: 'fuzz-nul-d', description: nul }));
  add('create metadata value NUL', json('POST', '/api/v2/collections', { name: 'fuzz-nul-m', metadata: { k: nul } }));
  add('create metadata key NUL', json('POST', '/api/v2/collections', { name: 'fuzz-nul-k', metadata: { [nul]: 1 } }));
  add('rename NUL', json('PUT', c, { name: nul }));
  add('register NUL', json('POST', '/api/auth/register', { username: nul, email: 'nul@example.test', password: 'long-enough-pw' }));
  add('login NUL', json('POST', '/api/auth/login', { username: nul, password: nul }));
  add('refresh NUL', json('POST', '/api/auth/refresh', { refresh_token: nul }));
  add('api key name NUL', json('POST', '/api/v2/api-keys', { name: nul }));
  add('list search NUL', { method: 'GET', url: '/api/v2/collections?search=a%00b' });
  add('remove source NUL', { method: 'DELETE', url: `${c}/sources?source_path=${encodeURIComponent(`${root}/inside${nul}`)}` });
  for (const searchType of ['semantic', 'keyword', 'hybrid']) {
    add(`search ${searchType} filter NUL`, json('POST', '/api/v2/search', { collection_uuids: [collectionId], query: 'q', search_type: searchType, metadata_filter: { [nul]: nul } }));
  }

  add('sort_by twice', { method: 'GET', url: '/api/v2/collections?sort_by=name&sort_by=created_at' });
  add('per_page over 100', { method: 'GET', url: '/api/v2/collections?per_page=101' });
  add('page 0', { method: 'GET', url: '/api/v2/collections?page=0' });

  // Invalid UUIDs in every id position.
  for (const bad of BAD_UUIDS) {
    const id = encodeURIComponent(bad);
    add(`GET collection ${bad}`, { method: 'GET', url: `/api/v2/collections/${id}` });
    add(`PUT collection ${bad}`, json('PUT', `/api/v2/collections/${id}`, { name: 'renamed' }));
    add(`DELETE collection ${bad}`, { method: 'DELETE', url: `/api/v2/collections/${id}` });
    add(`sources ${bad}`, json('POST', `/api/v2/collections/${id}/sources`, { source_path: `${root}/inside` }));
    add(`reindex ${bad}`, json('POST', `/api/v2/collections/${id}/reindex`, {}));
    add(`documents ${bad}`, { method: 'GET', url: `/api/v2/collections/${id}/documents` });
    add(`document content ${bad}`, { method: 'GET', url: `${c}/documents/${id}/content` });
    add(`GET operation ${bad}`, { method: 'GET', url: `/api/v2/operations/${id}` });
    add(`DELETE operation ${bad}`, { method: 'DELETE', url: `/api/v2/operations/${id}` });
    add(`DELETE api key ${bad}`, { method: 'DELETE', url: `/api/v2/api-keys/${id}` });
    add(`search single ${bad}`, json('POST', '/api/v2/search/single', { collection_id: bad, query: 'q' }));
  }
  // Well-formed ids that name nothing (or something of another user's): the same 404.
  const nobody = '00000000-0000-4000-8000-000000000000';
  add('GET collection that does not exist', { method: 'GET', url: `/api/v2/collections/${nobody}` });
  add('DELETE operation that does not exist', { method: 'DELETE', url: `/api/v2/operations/${nobody}` });
  add('document that does not exist', { method: 'GET', url: `${c}/documents/${nobody}/content` });
  add('DELETE api key that does not exist', { method: 'DELETE', url: `/api/v2/api-keys/${nobody}` });
  return list;
}

describe('bad input never reaches the data and always gets a clear 4xx', () => {
  it('hundreds of malformed, mistyped, oversized, traversing and injecting requests: 4xx {detail, code}, tables unchanged', async () => {
    const ownedName = `owned-${collectionId.slice(0, 8)}`;
    expect((await call(t.app, owner, { method: 'PUT', url: `/api/v2/collections/${collectionId}`, payload: { name: ownedName } })).status).toBe(200);
    const all = probes(ownedName);
    expect(all.length).toBeGreaterThan(400);

    const before = await tableFingerprints(t.testDb.database.db, TABLES);
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    for (const probe of all) {
      // Requests authenticated as the owner unless the probe sets its own credentials.
      const res = await call(t.app, probe.request.headers && 'authorization' in probe.request.headers ? undefined : owner, probe.request);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const clear = res.status >= 400 && res.status < 500 && typeof res.body?.detail === 'string' && res.body.detail.length > 0 && typeof res.body?.code === 'string';
      if (!clear) problems.push(`${probe.what} → ${res.status} ${String(res.raw.body).slice(0, 200)}`);
    }
    // Another user's collection is invisible: 404, as if it did not exist.
    for (const request of [
      { method: 'GET', url: `/api/v2/collections/${collectionId}` },
      { method: 'PUT', url: `/api/v2/collections/${collectionId}`, payload: { name: 'taken-over' } },
      { method: 'DELETE', url: `/api/v2/collections/${collectionId}` },
      { method: 'POST', url: `/api/v2/collections/${collectionId}/sources`, payload: { source_path: `${t.documentRoot}/inside` } },
    ] as InjectOptions[]) {
      const res = await call(t.app, other, request);
      if (res.status !== 404 || res.body?.code !== 'not_found') problems.push(`stranger ${request.method} ${request.url} → ${res.status}`);
    }
    expect(problems).toEqual([]);
    const after = await tableFingerprints(t.testDb.database.db, TABLES);
    expect(after).toEqual(before);
    console.info('[reliability] bad input', { probes: all.length, statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])) });
  });

  it('specific statuses: malformed JSON 400, over the limit 413, wrong types 422, traversal 400, bad ids 404', async () => {
    const c = `/api/v2/collections/${collectionId}`;
    expect((await call(t.app, owner, raw('POST', '/api/v2/collections', '{"name":'))).body).toMatchObject({ code: 'bad_request' });
    const big = await call(t.app, owner, raw('POST', '/api/v2/collections', JSON.stringify({ name: 'x'.repeat(BODY_LIMIT) })));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'payload_too_large', detail: expect.stringContaining('SEMANTIK_MAX_BODY_BYTES') });
    const typed = await call(t.app, owner, json('POST', '/api/v2/collections', { name: 'x', chunk_size: 'abc' }));
    expect(typed.status).toBe(422);
    expect(typed.body).toMatchObject({ code: 'validation_error', errors: [expect.objectContaining({ loc: ['body', 'chunk_size'] })] });
    for (const escape of ['escape-dir', 'escape-secret', 'etc-link']) {
      const res = await call(t.app, owner, json('POST', `${c}/sources`, { source_path: `${t.documentRoot}/${escape}` }));
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/outside the allowed document roots/);
    }
    expect((await call(t.app, owner, json('POST', `${c}/sources`, { source_path: `${t.documentRoot}/inside/../..` }))).body.detail).toMatch(/"\.\."/);
    expect((await call(t.app, owner, { method: 'GET', url: '/api/v2/collections/not-a-uuid' })).status).toBe(404);
    expect((await call(t.app, owner, { method: 'GET', url: '/api/v2/collections?sort_by=name;DROP' })).status).toBe(422);
  });

  it('valid requests carrying SQL metacharacters succeed and store the text literally', async () => {
    const db = t.testDb.database.db;
    for (const meta of SQL_META) {
      const name = `meta ${meta}`.slice(0, 128);
      const created = await call(t.app, owner, json('POST', '/api/v2/collections', { name, description: meta, metadata: { [meta]: meta } }));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const row = await db.selectFrom('collections').select(['name', 'description', 'metadata']).where('id', '=', created.body.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ name, description: meta, metadata: { [meta]: meta } });
      const listed = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections?search=${encodeURIComponent(meta)}` });
      expect(listed.status).toBe(200);
      expect(listed.body.collections.map((c: { id: string }) => c.id)).toContain(created.body.id);
      for (const searchType of ['semantic', 'keyword', 'hybrid']) {
        const found = await call(t.app, owner, json('POST', '/api/v2/search', { collection_uuids: [created.body.id], query: meta, search_type: searchType, metadata_filter: { [meta]: meta } }));
        expect(found.status, JSON.stringify(found.body)).toBe(200);
        expect(found.body.results).toEqual([]);
      }
    }
    // Every table is still there and the users table was not emptied.
    const users = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(users.n)).toBe(2);
  });
});
