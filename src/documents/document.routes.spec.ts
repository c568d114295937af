import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { uniqueName } from '../../test/support/test-databases.js';

let t: TestApp;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  owner = await registerAndLogin(t.app, 'docs-owner');
  other = await registerAndLogin(t.app, 'docs-other');
});
afterAll(async () => {
  await t?.dispose();
});

async function insertDocument(collectionId: string, filePath: string, fields: { status?: 'completed' | 'failed'; mime?: string } = {}) {
  return inUnitOfWork(t.testDb.database, async (tx) => {
    const r = repositoriesFor(tx);
    const doc = await r.documents.insert({
      collection_id: collectionId,
      file_path: filePath,
      file_name: path.basename(filePath),
      file_size: 5,
      mime_type: fields.mime ?? 'text/plain',
      content_hash: uniqueName('hash'),
    });
    if (fields.status) await r.documents.updateStatus(doc.id, fields.status, { chunk_count: 3 });
    return doc;
  });
}

describe('documents routes', () => {
  it('lists documents with the contract fields, paginated and filtered by status', async () => {
    const c = await createCollectionVia(t.app, owner);
    await insertDocument(c.id, path.join(t.documentRoot, 'one.txt'), { status: 'completed' });
    await insertDocument(c.id, path.join(t.documentRoot, 'two.txt'), { status: 'failed' });
    const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents?per_page=1` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, page: 1, per_page: 1 });
    expect(Object.keys(res.body.documents[0]).sort()).toEqual([
      'chunk_count', 'collection_id', 'content_hash', 'created_at', 'error_message', 'file_name', 'file_path', 'file_size', 'id',
      'mime_type', 'source_id', 'source_path', 'status', 'updated_at',
    ]);
    const completed = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents?status=completed` });
    expect(completed.body.documents.map((d: { file_name: string }) => d.file_name)).toEqual(['one.txt']);
    expect(completed.body.documents[0].chunk_count).toBe(3);
    expect((await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents?status=weird` })).status).toBe(422);
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}/documents` })).status).toBe(404);
  });

  it('streams the original bytes with the stored content type; others get 404', async () => {
    const c = await createCollectionVia(t.app, owner);
    const file = path.join(t.documentRoot, `${uniqueName('page')}.html`);
    fs.writeFileSync(file, '<h1>hello</h1>');
    const doc = await insertDocument(c.id, file, { mime: 'text/html' });
    const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${doc.id}/content` });
    expect(res.status).toBe(200);
    expect(res.raw.body).toBe('<h1>hello</h1>');
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain('sandbox');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await call(t.app, other, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${doc.id}/content` })).status).toBe(404);
    const otherCollection = await createCollectionVia(t.app, owner);
    expect((await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${otherCollection.id}/documents/${doc.id}/content` })).status).toBe(404);
  });

  it('404 when the file is gone, or when its real path left the document roots', async () => {
    const c = await createCollectionVia(t.app, owner);
    const gone = await insertDocument(c.id, path.join(t.documentRoot, 'deleted.txt'));
    const missing = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${gone.id}/content` });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');

    const outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-outside-'));
    fs.writeFileSync(path.join(outsideDir, 'secret.txt'), 'secret');
    const link = path.join(t.documentRoot, `${uniqueName('link')}.txt`);
    fs.symlinkSync(path.join(outsideDir, 'secret.txt'), link);
    const escaped = await insertDocument(c.id, link);
    const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${escaped.id}/content` });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('document roots');
    expect(res.raw.body).not.toContain('secret"');
    fs.rmSync(outsideDir, { recursive: true, force: true });
  });
  it('404 for a file under a dot-folder or a dot-file (SEMANTIK_ALLOW_DOT_PATHS unset), also through a symlink', async () => {
    const c = await createCollectionVia(t.app, owner);
    const hidden = path.join(t.documentRoot, uniqueName('.ssh'));
    fs.mkdirSync(hidden);
    fs.writeFileSync(path.join(hidden, 'id_ed25519'), 'PRIVATE KEY');
    const link = path.join(t.documentRoot, `${uniqueName('innocent')}.txt`);
    fs.symlinkSync(path.join(hidden, 'id_ed25519'), link);
    const dotFile = path.join(t.documentRoot, uniqueName('.env'));
    fs.writeFileSync(dotFile, 'PASSWORD=1');
    for (const filePath of [path.join(hidden, 'id_ed25519'), link, dotFile]) {
      const doc = await insertDocument(c.id, filePath);
      const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${doc.id}/content` });
      expect(res.status, filePath).toBe(404);
      expect(res.body.detail).toMatch(/SEMANTIK_ALLOW_DOT_PATHS=true/);
      expect(res.raw.body).not.toMatch(/PRIVATE KEY|PASSWORD/);
    }
  });
});
