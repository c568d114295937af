import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { uniqueName } from '../support/test-databases.js';

/**
 * SEMANTIK_ALLOW_DOT_PATHS=true opens what the default refuses (the refusals themselves are in
 * collection.routes.spec.ts and document.routes.spec.ts): a source under a dot-folder and the
 * bytes of a file in it.
 */
let t: TestApp;
let owner: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SEMANTIK_ALLOW_DOT_PATHS: 'true' } });
  await registerAndLogin(t.app, 'admin'); // first account is the admin; the owner is not
  owner = await registerAndLogin(t.app, 'dots');
});
afterAll(async () => {
  await t?.dispose();
});

describe('SEMANTIK_ALLOW_DOT_PATHS=true', () => {
  it('accepts a source under a dot-folder and serves a file in it', async () => {
    const c = await createCollectionVia(t.app, owner);
    const hidden = path.join(t.documentRoot, uniqueName('.notes'));
    fs.mkdirSync(hidden);
    fs.writeFileSync(path.join(hidden, 'n.txt'), 'hidden note');
    const added = await call(t.app, owner, { method: 'POST', url: `/api/v2/collections/${c.id}/sources`, payload: { source_path: hidden } });
    expect(added.status, JSON.stringify(added.body)).toBe(202);

    const doc = await inUnitOfWork(t.testDb.database, (tx) =>
      repositoriesFor(tx).documents.insert({
        collection_id: c.id,
        file_path: path.join(hidden, 'n.txt'),
        file_name: 'n.txt',
        file_size: 11,
        mime_type: 'text/plain',
        content_hash: uniqueName('hash'),
      }),
    );
    const res = await call(t.app, owner, { method: 'GET', url: `/api/v2/collections/${c.id}/documents/${doc.id}/content` });
    expect(res.status).toBe(200);
    expect(res.raw.body).toBe('hidden note');
  });
});
