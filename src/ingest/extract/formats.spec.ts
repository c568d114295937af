import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEml, buildEpub, buildMbox, buildOds, buildOdt, buildPptx, buildRtf, buildXlsx } from '../../../test/fixtures/format-files.js';
import { chunkText } from '../chunking/text.chunker.js';
import { extractText } from './document.extractor.js';
import { ExtractionError } from './extraction.error.js';

/** Real files of each format built in the test; each corrupt one fails alone with a reason. */
let dir: string;
const file = (name: string) => path.join(dir, name);
const extract = (name: string) => extractText(file(name), { maxBytes: 10 * 1024 * 1024, documentRoots: [dir] });

async function failure(name: string): Promise<ExtractionError> {
  const err = await extract(name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, name).toBeInstanceOf(ExtractionError);
  return err as ExtractionError;
}

beforeAll(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-formats-')));
  const write = (name: string, content: string | Buffer) => fs.writeFileSync(file(name), content);
  write(
    'deck.pptx',
    await buildPptx(
      [
        { title: 'Roadmap', lines: ['Ship the copper release in spring.'] },
        { title: 'Risks', lines: ['Supplier delays for titanium bolts.', 'Second bullet.'] },
      ],
      { title: 'Quarterly Deck', author: 'Ada Lovelace' },
    ),
  );
  write(
    'budget.xlsx',
    await buildXlsx(
      {
        Costs: [['Item', 'Amount'], ...Array.from({ length: 60 }, (_, i) => [`widget number ${i + 1} with a long description`, i * 10])],
        People: [['Name', 'Team'], ['Grace', 'Compilers']],
      },
      { creator: 'Finance Bot', title: 'Budget 2024' },
    ),
  );
  write('grid.ods', await buildOds('Grid', { Plan: [['Task', 'Owner'], ['Paint the lighthouse', 'Mara']] }));
  write('table.csv', 'city,country\nLisbon,Portugal\n"Porto, north",Portugal\n');
  write('table.tsv', 'city\tcountry\nOslo\tNorway\n');
  write('essay.odt', await buildOdt('Essay Title', 'Odt Author', ['# Introduction', 'Glaciers  move slowly.', '## Method', 'We measured ice cores.']));
  write(
    'book.epub',
    await buildEpub('The Book', 'Epub Author', [
      { title: 'Beginnings', paragraphs: ['The orchard was quiet at dawn.'] },
      { title: 'Endings', paragraphs: ['The harvest festival ended at midnight.'] },
    ]),
  );
  write(
    'note.eml',
    buildEml({
      from: 'Alice Example <Alice@Example.test>',
      to: 'Bob <bob@example.test>, carol@example.test',
      subject: 'Lunch on Friday',
      date: 'Thu, 04 Jan 2024 10:00:00 +0000',
      body: 'Shall we try the new ramen place near the station?',
      attachment: { name: 'menu.txt', content: 'secret attachment words' },
    }),
  );
  write(
    'archive.mbox',
    buildMbox([
      { from: 'a@example.test', to: 'b@example.test', subject: 'First', date: 'Thu, 04 Jan 2024 10:00:00 +0000', body: 'Kayak trip planning.\nFrom the river side.' },
      { from: 'c@example.test', to: 'b@example.test', subject: 'Second', date: 'Fri, 05 Jan 2024 10:00:00 +0000', body: 'Telescope delivery confirmed.' },
    ]),
  );
  write('letter.rtf', buildRtf({ title: 'A Letter', author: 'Rtf Author', paragraphs: ['Dear keeper,', 'The fog horn needs oil before Sunday.'] }));
  write('script.py', 'def greet():\n    return "hello"\n');
  // Corrupt ones: right extension, wrong content.
  write('broken.pptx', 'PK\u0003\u0004 not a zip');
  write('broken.xlsx', Buffer.from('this is not an xlsx file at all'));
  write('broken.ods', await buildOdt('x', 'y', ['only text']).then((b) => b.subarray(0, b.length / 2)));
  write('broken.odt', 'plain text pretending');
  write('broken.rtf', buildRtf({ paragraphs: ['cut short'] }).subarray(0, 120));
  write('broken.epub', await buildPptx([{ title: 'not a book', lines: [] }]));
  write('broken.csv', 'a,b\n"unclosed,quote\n');
  write('broken.eml', 'just some words without any header\n');
  write('broken.mbox', 'no separator line here\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('office, e-book, mail and code formats', () => {
  it('pptx: slide text in order, one section per slide, slide numbers as pages, core properties as metadata', async () => {
    const result = await extract('deck.pptx');
    expect(result).toMatchObject({ title: 'Quarterly Deck', pageUnit: 'slide', format: 'markdown', metadata: { author: 'Ada Lovelace', slide_count: 2, created: '2024-03-01T10:00:00Z' } });
    expect(result.text).toContain('# Slide 1: Roadmap\n\nShip the copper release in spring.');
    expect(result.text.indexOf('titanium')).toBeGreaterThan(result.text.indexOf('copper'));
    const chunks = chunkText(result.text, { chunkSize: 500, chunkOverlap: 50, format: result.format, pages: result.pages });
    expect(chunks.map((c) => [c.page, c.headingPath])).toEqual([
      [1, ['Slide 1: Roadmap']],
      [2, ['Slide 2: Risks']],
    ]);
  });

  it('xlsx: one section per sheet row group, the header row repeated in each, sheet numbers as pages', async () => {
    const result = await extract('budget.xlsx');
    expect(result).toMatchObject({ title: 'Budget 2024', pageUnit: 'sheet', metadata: { author: 'Finance Bot', sheet_count: 2, sheets: ['Costs', 'People'] } });
    const chunks = chunkText(result.text, { chunkSize: 1000, chunkOverlap: 100, format: result.format, pages: result.pages });
    const costs = chunks.filter((c) => c.page === 1);
    expect(costs.length).toBeGreaterThan(2); // 60 rows × ~45 chars do not fit one 800-char group
    for (const chunk of costs) expect(chunk.text.split('\n')[0]).toMatch(/^# Costs \(rows \d+–\d+\)$/);
    for (const chunk of costs) expect(chunk.text.split('\n')[2]).toBe('Item | Amount');
    expect(costs[0]!.text).toContain('widget number 1 with a long description | 0');
    expect(chunks.find((c) => c.page === 2)?.text).toContain('Name | Team\nGrace | Compilers');
  });

  it('ods, csv and tsv: rows under their header; repeated empty ODS cells are not expanded', async () => {
    const ods = await extract('grid.ods');
    expect(ods).toMatchObject({ title: 'Grid', pageUnit: 'sheet', metadata: { sheets: ['Plan'] } });
    expect(ods.text).toContain('Task | Owner\nPaint the lighthouse | Mara');
    expect(ods.text.length).toBeLessThan(200);
    const csv = await extract('table.csv');
    expect(csv.text).toContain('city | country\nLisbon | Portugal\nPorto, north | Portugal');
    expect(csv.metadata).toMatchObject({ row_count: 2, columns: ['city', 'country'] });
    expect((await extract('table.tsv')).text).toContain('Oslo | Norway');
  });

  it('odt: headings with their outline levels, paragraphs, author and title', async () => {
    const result = await extract('essay.odt');
    expect(result).toMatchObject({ title: 'Essay Title', format: 'markdown', metadata: { author: 'Odt Author' } });
    expect(result.text).toBe('# Introduction\n\nGlaciers  move slowly.\n\n## Method\n\nWe measured ice cores.');
  });

  it('rtf: paragraphs without the font/colour tables or generator, title and author from \\info', async () => {
    const result = await extract('letter.rtf');
    expect(result).toMatchObject({ title: 'A Letter', format: 'plain', mimeType: 'application/rtf', metadata: { author: 'Rtf Author' } });
    expect(result.text).toBe('Dear keeper,\n\nThe fog horn needs oil before Sunday.');
  });

  it('epub: chapters in spine order as numbered sections, OPF metadata', async () => {
    const result = await extract('book.epub');
    expect(result).toMatchObject({ title: 'The Book', pageUnit: 'chapter', metadata: { author: 'Epub Author', language: 'en', chapter_count: 2 } });
    const chunks = chunkText(result.text, { chunkSize: 500, chunkOverlap: 50, format: result.format, pages: result.pages });
    expect(chunks.map((c) => [c.page, c.headingPath[0]])).toEqual([
      [1, 'Beginnings'],
      [2, 'Endings'],
    ]);
  });

  it('eml: headers as metadata and text, body indexed, attachments skipped and named', async () => {
    const result = await extract('note.eml');
    expect(result.title).toBe('Lunch on Friday');
    expect(result.metadata).toMatchObject({
      from_address: 'alice@example.test',
      to_addresses: ['bob@example.test', 'carol@example.test'],
      subject: 'Lunch on Friday',
      date: '2024-01-04T10:00:00.000Z',
      attachments_skipped: 1,
      attachment_names: ['menu.txt'],
    });
    expect(result.text).toContain('ramen place');
    expect(result.text).toContain('From: "Alice Example" <Alice@Example.test>');
    expect(result.text).not.toContain('secret attachment words');
  });

  it('mbox: one numbered section per message, ">From " unescaped', async () => {
    const result = await extract('archive.mbox');
    expect(result).toMatchObject({ pageUnit: 'message', metadata: { message_count: 2, subjects: ['First', 'Second'] } });
    expect(result.text).toContain('From the river side.');
    expect(result.pages?.map((p) => p.page)).toEqual([1, 2]);
    expect(result.text.slice(result.pages![1]!.startOffset)).toMatch(/^# Second — c@example.test — 2024-01-05/);
  });

  it('source code: the language from the extension', async () => {
    expect((await extract('script.py')).metadata).toEqual({ language: 'python' });
  });

  it('a corrupt file of each format fails alone with reason "corrupt" and names the format', async () => {
    const expected: Record<string, RegExp> = {
      'broken.pptx': /corrupt PPTX/,
      'broken.xlsx': /corrupt XLSX/,
      'broken.ods': /corrupt ODS/,
      'broken.odt': /corrupt ODT/,
      'broken.rtf': /corrupt RTF: \d group\(s\) not closed/,
      'broken.epub': /corrupt EPUB/,
      'broken.csv': /corrupt CSV/,
      'broken.eml': /corrupt EML: no From, Date, Subject/,
      'broken.mbox': /corrupt MBOX/,
    };
    for (const [name, message] of Object.entries(expected)) {
      const err = await failure(name);
      expect(err.reason, `${name}: ${err.message}`).toBe('corrupt');
      expect(err.message, name).toMatch(message);
    }
  });
});
