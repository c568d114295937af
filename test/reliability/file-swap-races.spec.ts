import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../support/test-app.js';
import { makeTempDir } from '../fixtures/document-files.js';
import { settleWithin, startPathSwapper } from '../fixtures/path-swapper.js';
import { uniqueName } from '../support/test-databases.js';

/**
 * Issue 15 item 3, as the hostile tester ran it: a document file is swapped, between the server's
 * check and its open, for a symlink to an outside file (36 of 64 requests served the outside
 * bytes), or for a FIFO (four requests blocked libuv's pool and logins timed out). The content
 * route now opens once (O_NOFOLLOW|O_NONBLOCK), checks the descriptor and streams from it.
 */

const INSIDE = 'inside bytes, fine to serve\n';
const OUTSIDE = 'OUTSIDE SECRET -----BEGIN PRIVATE KEY-----\n';
/** Generous: an answer takes milliseconds; a blocked open never answers. */
const ANSWER_BUDGET_MS = 5_000;

let t: TestApp;
let owner: TestUser;
let outside: string;
let collectionId: string;

beforeAll(async () => {
  t = await createTestApp();
  owner = await registerAndLogin(t.app, 'racer');
  collectionId = (await createCollectionVia(t.app, owner)).id;
  outside = makeTempDir('semantik-outside-');
  fs.writeFileSync(path.join(outside, 'doc.txt'), OUTSIDE);
});
afterAll(async () => {
  await t?.dispose();
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

async function insertDocument(filePath: string) {
  return inUnitOfWork(t.testDb.database, (tx) =>
    repositoriesFor(tx).documents.insert({
      collection_id: collectionId,
      file_path: filePath,
      file_name: path.basename(filePath),
      file_size: INSIDE.length,
      mime_type: 'text/plain',
      content_hash: uniqueName('hash'),
    }),
  );
}

const contentUrl = (documentId: string) => `/api/v2/collections/${collectionId}/documents/${documentId}/content`;

/** Requests the content `count` times while the swapper runs; tallies what was served. */
async function hammer(documentId: string, count: number) {
  const tally = { inside: 0, outside: 0, refused: 0, other: [] as string[] };
  for (let i = 0; i < count; i++) {
    const res = await settleWithin(call(t.app, owner, { method: 'GET', url: contentUrl(documentId) }), ANSWER_BUDGET_MS, `content request ${i}`);
    const body = res.raw.body;
    if (body.includes('OUTSIDE SECRET')) tally.outside++;
    else if (res.status === 200 && body === INSIDE) tally.inside++;
    else if (res.status === 404) tally.refused++;
    else tally.other.push(`${res.status} ${body.slice(0, 80)}`);
  }
  return tally;
}

async function loginAndHealthAnswer() {
  const login = await settleWithin(
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: owner.username, password: owner.password } }),
    ANSWER_BUDGET_MS,
    'login',
  );
  expect(login.statusCode).toBe(200);
  const health = await settleWithin(t.app.inject({ method: 'GET', url: '/api/health' }), ANSWER_BUDGET_MS, 'health');
  expect(health.statusCode).toBe(200);
}

describe('content route under file swap races', () => {
  it('a file swapped with a symlink to an outside file in a tight loop never serves the outside bytes (400 requests)', async () => {
    const dir = path.join(t.documentRoot, uniqueName('swap-last'));
    fs.mkdirSync(dir);
    const target = path.join(dir, 'doc.txt');
    fs.writeFileSync(path.join(dir, '.variant-file'), INSIDE);
    fs.symlinkSync(path.join(outside, 'doc.txt'), path.join(dir, '.variant-link'));
    fs.copyFileSync(path.join(dir, '.variant-file'), target);
    const doc = await insertDocument(target);

    const swapper = await startPathSwapper('link', target, [path.join(dir, '.variant-link'), path.join(dir, '.variant-file')]);
    const tally = await hammer(doc.id, 400).finally(() => swapper.stop());
    expect(tally.outside, JSON.stringify(tally)).toBe(0);
    expect(tally.other, JSON.stringify(tally)).toEqual([]);
  });

  it('a parent folder swapped with a symlink to an outside folder never serves the outside bytes (O_NOFOLLOW alone would not catch it)', async () => {
    const dir = path.join(t.documentRoot, uniqueName('swap-parent'));
    fs.mkdirSync(path.join(dir, '.variant-dir'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.variant-dir', 'doc.txt'), INSIDE);
    fs.symlinkSync(outside, path.join(dir, '.variant-link'));
    const target = path.join(dir, 'sub');
    fs.renameSync(path.join(dir, '.variant-dir'), target);
    const doc = await insertDocument(path.join(target, 'doc.txt'));
    fs.renameSync(target, path.join(dir, '.variant-dir'));

    const swapper = await startPathSwapper('rename', target, [path.join(dir, '.variant-dir'), path.join(dir, '.variant-link')]);
    let swaps = 0;
    const tally = await hammer(doc.id, 400).finally(async () => (swaps = await swapper.stop()));
    expect(swaps).toBeGreaterThan(0);
    expect(tally.outside, JSON.stringify(tally)).toBe(0);
    expect(tally.other, JSON.stringify(tally)).toEqual([]);
  });

  it('a FIFO in place of the document answers 404 at once, eight times in parallel, and logins and health still answer', async () => {
    const fifo = path.join(t.documentRoot, `${uniqueName('pipe')}.txt`);
    execFileSync('mkfifo', [fifo]);
    const doc = await insertDocument(fifo);
    const answers = await settleWithin(
      Promise.all(Array.from({ length: 8 }, () => call(t.app, owner, { method: 'GET', url: contentUrl(doc.id) }))),
      ANSWER_BUDGET_MS,
      'eight content requests for a FIFO',
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(404));
    await loginAndHealthAnswer();
  });

  it('a file swapped with a FIFO in a tight loop never blocks a request (800 requests, 8 at a time), and logins still answer', async () => {
    const dir = path.join(t.documentRoot, uniqueName('swap-fifo'));
    fs.mkdirSync(dir);
    const target = path.join(dir, 'doc.txt');
    fs.writeFileSync(path.join(dir, '.variant-file'), INSIDE);
    execFileSync('mkfifo', [path.join(dir, '.variant-fifo')]);
    fs.copyFileSync(path.join(dir, '.variant-file'), target);
    const doc = await insertDocument(target);

    const swapper = await startPathSwapper('link', target, [path.join(dir, '.variant-fifo'), path.join(dir, '.variant-file')]);
    const statuses = new Set<number>();
    try {
      for (let round = 0; round < 100; round++) {
        const answers = await settleWithin(
          Promise.all(Array.from({ length: 8 }, () => call(t.app, owner, { method: 'GET', url: contentUrl(doc.id) }))),
          ANSWER_BUDGET_MS,
          `round ${round} of content requests`,
        );
        for (const a of answers) {
          statuses.add(a.status);
          if (a.status === 200) expect(a.raw.body).toBe(INSIDE);
        }
      }
      await loginAndHealthAnswer();
    } finally {
      await swapper.stop();
    }
    expect([...statuses].every((s) => s === 200 || s === 404), [...statuses].join(',')).toBe(true);
  });
});
