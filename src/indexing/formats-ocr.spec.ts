import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEml, buildPptx, buildXlsx } from '../../test/fixtures/format-files.js';
import { silentLogger, waitForOperation } from '../../test/fixtures/operation-helpers.js';
import { buildScannedPdf, buildTiff, renderTextPng } from '../../test/fixtures/scanned-files.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { startWorker, type RunningWorker } from '../worker/worker.js';

/**
 * Issue 20 end to end: a folder with scans, a photo of a page, slides, a spreadsheet and a mail is
 * indexed through the API and the worker; phrases that exist only inside images are found by
 * search, with the page they are on; slide and mail metadata filter results. 6 OCR'd pages in all.
 */
let t: TestApp;
let user: TestUser;
let worker: RunningWorker;
let collectionId: string;

beforeAll(async () => {
  t = await createTestApp();
  user = await registerAndLogin(t.app, 'ocr');
  const dir = path.join(t.documentRoot, 'papers');
  fs.mkdirSync(dir);
  const write = (name: string, content: string | Buffer | Uint8Array) => fs.writeFileSync(path.join(dir, name), content);
  write('scan.pdf', await buildScannedPdf([await renderTextPng(['The violet harbour lantern']), await renderTextPng(['A copper kettle whistles'])]));
  write('mixed.pdf', await buildScannedPdf(['This first page has a proper text layer about gardening.', await renderTextPng(['The quartz pendulum swings'])]));
  write('photo.png', await renderTextPng(['Saffron umbrellas everywhere']));
  write('broken.png', 'this is not an image');
  // A two-frame fax-style TIFF; and one with a TIFF signature and nothing readable after it.
  write('fax.tiff', await buildTiff([['The indigo ferry timetable'], ['Walnut oars are stored below']]));
  write('broken.tif', Buffer.concat([Buffer.from('II*\0', 'latin1'), Buffer.alloc(200, 0xab)]));
  // No WebP encoder is installed: this one was made once by Chromium (canvas.toDataURL('image/webp', 1))
  // from renderTextPng(['The turquoise lighthouse keeper']) and kept as a 30 kB fixture.
  write('label.webp', fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/images/lighthouse.webp')));
  write('broken.webp', Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.alloc(200, 0xab)]));
  write('deck.pptx', await buildPptx([{ title: 'Intro', lines: ['Welcome everyone.'] }, { title: 'Risks', lines: ['Supplier delays for titanium bolts.'] }]));
  write('budget.xlsx', await buildXlsx({ Costs: [['Item', 'Amount'], ['Anchor chain', 120]] }));
  write('note.eml', buildEml({ from: 'Alice <alice@example.test>', to: 'bob@example.test', subject: 'Lunch', date: 'Thu, 04 Jan 2024 10:00:00 +0000', body: 'Ramen near the station?' }));

  const collection = await createCollectionVia(t.app, user, { embedding_model: 'deterministic-hash-384' });
  collectionId = collection.id;
  worker = await startWorker({ config: t.testDb.config, database: t.testDb.database, logger: silentLogger, eventBus: t.eventBus, concurrency: 1, pollIntervalMs: 50 });
  const added = await call(t.app, user, { method: 'POST', url: `/api/v2/collections/${collectionId}/sources`, payload: { source_path: dir } });
  expect(added.status).toBe(202);
  const done = await waitForOperation(t.testDb.database, added.body.id, 120_000);
  expect(done?.status, done?.error_message ?? '').toBe('completed');
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await t?.dispose();
});

const search = (query: string, extra: Record<string, unknown> = {}) =>
  call(t.app, user, { method: 'POST', url: '/api/v2/search', payload: { collection_uuids: [collectionId], query, search_type: 'keyword', k: 5, ...extra } });

async function documents() {
  const rows = await t.testDb.database.db.selectFrom('documents').selectAll().where('collection_id', '=', collectionId).execute();
  return new Map(rows.map((row) => [row.file_name, row]));
}

describe('scans, images and office formats through the pipeline', () => {
  it('OCRs only pages without a text layer and records the pages and confidence; a corrupt image fails alone', async () => {
    const docs = await documents();
    for (const name of ['scan.pdf', 'mixed.pdf', 'photo.png', 'fax.tiff', 'label.webp', 'deck.pptx', 'budget.xlsx', 'note.eml']) {
      expect(docs.get(name)?.status, `${name}: ${docs.get(name)?.error_message}`).toBe('completed');
    }
    expect(docs.get('scan.pdf')!.metadata).toMatchObject({ page_count: 2, ocr_pages: [1, 2] });
    expect(docs.get('mixed.pdf')!.metadata).toMatchObject({ page_count: 2, ocr_pages: [2] });
    expect(docs.get('photo.png')!.metadata).toMatchObject({ ocr_pages: [1] });
    expect(docs.get('fax.tiff')!.metadata).toMatchObject({ ocr_pages: [1, 2] });
    expect(docs.get('label.webp')!.metadata).toMatchObject({ ocr_pages: [1] });
    expect((docs.get('scan.pdf')!.metadata as { ocr_confidence: number }).ocr_confidence).toBeGreaterThan(60);
    expect(docs.get('broken.png')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^corrupt: corrupt PNG/) });
    expect(docs.get('broken.tif')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^corrupt: corrupt TIFF: cannot be rendered/) });
    expect(docs.get('broken.webp')).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^corrupt: /) });
  });

  it('search finds phrases that exist only in images, with the page they are on', async () => {
    const lantern = await search('violet harbour lantern');
    expect(lantern.status).toBe(200);
    expect(lantern.body.results[0]).toMatchObject({ file_name: 'scan.pdf', metadata: expect.objectContaining({ page: 1 }) });
    const kettle = await search('copper kettle');
    // Two short pages share one chunk: it says where it starts and where it ends ("pages 1–2").
    expect(kettle.body.results[0]).toMatchObject({ file_name: 'scan.pdf', metadata: expect.objectContaining({ page: 1, end_page: 2 }) });
    expect(kettle.body.results[0].text).toMatch(/lantern\s+A copper kettle/);
    const pendulum = await search('quartz pendulum');
    expect(pendulum.body.results[0]).toMatchObject({ file_name: 'mixed.pdf', metadata: expect.objectContaining({ page: 1, end_page: 2 }) });
    expect(pendulum.body.results[0].text).toMatch(/gardening\.\s+The quartz pendulum swings/);
    expect((await search('saffron umbrellas')).body.results[0]).toMatchObject({ file_name: 'photo.png' });
    expect((await search('turquoise lighthouse keeper')).body.results[0]).toMatchObject({ file_name: 'label.webp' });
    // Each TIFF frame is a page: the chunk holding both short frames says it runs from 1 to 2.
    const oars = await search('walnut oars');
    expect(oars.body.results[0]).toMatchObject({ file_name: 'fax.tiff', metadata: expect.objectContaining({ page: 1, end_page: 2 }) });
    expect(oars.body.results[0].text).toMatch(/indigo ferry timetable\s+Walnut oars are stored below/);
  });

  it('slide numbers and mail headers travel with the chunks and filter results', async () => {
    const risks = await search('titanium bolts', { metadata_filter: { slide: 2 } });
    expect(risks.body.results).toHaveLength(1);
    expect(risks.body.results[0]).toMatchObject({ file_name: 'deck.pptx', metadata: expect.objectContaining({ slide: 2, page: 2, page_unit: 'slide' }) });
    expect((await search('titanium bolts', { metadata_filter: { slide: 1 } })).body.results).toHaveLength(0);
    const mail = await search('ramen station', { metadata_filter: { from_address: 'alice@example.test' } });
    expect(mail.body.results[0]).toMatchObject({ file_name: 'note.eml', metadata: expect.objectContaining({ subject: 'Lunch' }) });
    const sheet = await search('anchor chain', { metadata_filter: { sheet: 1 } });
    expect(sheet.body.results[0]).toMatchObject({ file_name: 'budget.xlsx', text: expect.stringContaining('Item | Amount\nAnchor chain | 120') });
  });
});
