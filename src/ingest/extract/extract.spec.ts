import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractText } from './document.extractor.js';
import { ExtractionError } from './extraction.error.js';
import { mimeTypeFor, supportedExtensions } from './file-type.registry.js';
import { buildDocx, buildPdf } from '../../../test/fixtures/document-files.js';

const MB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-extract-'));
  fs.writeFileSync(file('notes.txt'), 'Plain notes.\nSecond line.');
  fs.writeFileSync(file('guide.md'), 'Intro line.\n\n# Install Guide\n\nRun the installer.\n');
  const longParagraph = 'word '.repeat(60).trim();
  fs.writeFileSync(
    file('page.html'),
    `<html><head><title>Tips &amp; Tricks</title><style>body{color:red}</style></head><body>` +
      `<h1>Getting started</h1><p>${longParagraph}</p><h2>Details</h2><p>See <a href="https://x.test">the docs</a>.</p>` +
      `<script>alert("nope")</script></body></html>`,
  );
  fs.writeFileSync(file('report.pdf'), buildPdf(['Page one talks about apples.', 'Page two talks about pears.'], 'Fruit Report'));
  fs.writeFileSync(file('report.docx'), buildDocx());
  const junk = Buffer.alloc(4096);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(file('junk.bin'), junk);
  const junkNoNul = Buffer.from(junk.map((b) => (b === 0 ? 1 : b)));
  fs.writeFileSync(file('junk-no-nul.dat'), junkNoNul);
  // 0x93/0x94 are Windows-1252's curly quotes (C1 controls in Latin-1).
  fs.writeFileSync(file('latin1.txt'), Buffer.concat([Buffer.from("Un café très crème, s'il vous plaît. ", 'latin1'), Buffer.from([0x93, 0x4f, 0x4b, 0x94])]));
  fs.writeFileSync(file('empty.txt'), '');
  fs.writeFileSync(file('big.txt'), 'x'.repeat(11));
  fs.writeFileSync(file('secret.txt'), 'top secret');
  fs.chmodSync(file('secret.txt'), 0o000);
  fs.writeFileSync(file('broken.pdf'), '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\ngarbage garbage');
  fs.writeFileSync(file('broken.docx'), 'PK\u0003\u0004 this is not really a zip');
  fs.writeFileSync(file('main.ts'), 'export const answer = 42;\n');
  fs.writeFileSync(file('Makefile'), 'build:\n\ttsc -p .\n');
});

afterAll(() => {
  fs.chmodSync(file('secret.txt'), 0o600);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function extractionError(filePath: string, maxBytes = MB): Promise<ExtractionError> {
  const err = await extractText(filePath, { maxBytes, documentRoots: [dir] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtractionError);
  return err as ExtractionError;
}

describe('extractText', () => {
  it('reads plain text as is', async () => {
    const result = await extractText(file('notes.txt'), { maxBytes: MB, documentRoots: [dir] });
    expect(result).toEqual({ text: 'Plain notes.\nSecond line.', mimeType: 'text/plain', format: 'plain' });
  });

  it('reads markdown with its first heading as title', async () => {
    const result = await extractText(file('guide.md'), { maxBytes: MB, documentRoots: [dir] });
    expect(result.format).toBe('markdown');
    expect(result.mimeType).toBe('text/markdown');
    expect(result.title).toBe('Install Guide');
    expect(result.text).toContain('Run the installer.');
  });

  it('turns HTML into unwrapped text with markdown headings, dropping scripts, styles and hrefs', async () => {
    const result = await extractText(file('page.html'), { maxBytes: MB, documentRoots: [dir] });
    expect(result.title).toBe('Tips & Tricks');
    expect(result.format).toBe('markdown');
    expect(result.text).toMatch(/^# Getting started$/m);
    expect(result.text).toMatch(/^## Details$/m);
    expect(result.text).toContain('word '.repeat(59) + 'word'); // one line: no word wrap
    expect(result.text).toContain('See the docs.');
    expect(result.text).not.toMatch(/alert|color:red|x\.test/);
  });

  it('extracts PDF text per page with page spans and the Info title', async () => {
    const result = await extractText(file('report.pdf'), { maxBytes: MB, documentRoots: [dir] });
    expect(result.mimeType).toBe('application/pdf');
    expect(result.title).toBe('Fruit Report');
    expect(result.pages).toHaveLength(2);
    const [one, two] = result.pages!;
    expect(result.text.slice(one!.startOffset, one!.endOffset)).toBe('Page one talks about apples.');
    expect(result.text.slice(two!.startOffset, two!.endOffset)).toBe('Page two talks about pears.');
    expect(two!.page).toBe(2);
    expect(two!.startOffset).toBeGreaterThan(one!.endOffset);
  });

  it('extracts DOCX with headings as markdown', async () => {
    const result = await extractText(file('report.docx'), { maxBytes: MB, documentRoots: [dir] });
    expect(result.format).toBe('markdown');
    expect(result.text).toBe('# Quarterly Report\n\nRevenue grew in every region this quarter.');
    expect(result.title).toBe('Quarterly Report');
  });

  it('decodes non-UTF-8 legacy text as Windows-1252', async () => {
    const result = await extractText(file('latin1.txt'), { maxBytes: MB, documentRoots: [dir] });
    expect(result.text).toBe("Un café très crème, s'il vous plaît. “OK”");
  });

  it('treats code and extension-less files as plain text', async () => {
    expect((await extractText(file('main.ts'), { maxBytes: MB, documentRoots: [dir] })).mimeType).toBe('text/typescript');
    const makefile = await extractText(file('Makefile'), { maxBytes: MB, documentRoots: [dir] });
    expect(makefile.mimeType).toBe('text/plain');
    expect(makefile.text).toContain('tsc -p .');
  });

  it('refuses binary junk, with or without NUL bytes', async () => {
    const withNul = await extractionError(file('junk.bin'));
    expect(withNul.reason).toBe('binary');
    expect(withNul.message).toMatch(/NUL byte/);
    const withoutNul = await extractionError(file('junk-no-nul.dat'));
    expect(withoutNul.reason).toBe('binary');
    expect(withoutNul.message).toMatch(/invalid UTF-8/);
  });

  it('refuses empty and too-large files with the fix in the message', async () => {
    const empty = await extractionError(file('empty.txt'));
    expect([empty.reason, empty.message, empty.filePath]).toEqual(['empty', 'empty file', file('empty.txt')]);
    const big = await extractionError(file('big.txt'), 10);
    expect(big.reason).toBe('too_large');
    expect(big.message).toBe('file too large: 11 bytes > limit 10, raise SEMANTIK_MAX_FILE_SIZE_MB');
  });

  it('reports a missing file with its errno', async () => {
    const err = await extractionError(file('does-not-exist.txt'));
    expect(err.reason).toBe('unreadable');
    expect(err.message).toMatch(/ENOENT/);
  });

  // root reads mode-000 files anyway, so in-process this can only be observed as another user; as
  // root, test/reliability/source-permission-errors.spec.ts gets a real EACCES through a worker
  // process started without root's file-override capabilities.
  it.skipIf(isRoot)('reports an unreadable file with its errno', async () => {
    const err = await extractionError(file('secret.txt'));
    expect(err.reason).toBe('unreadable');
    expect(err.message).toMatch(/EACCES/);
  });

  it('turns corrupt PDF and DOCX files into ExtractionError, not crashes', async () => {
    expect((await extractionError(file('broken.pdf'))).reason).toBe('corrupt');
    expect((await extractionError(file('broken.docx'))).reason).toBe('corrupt');
  });
});

describe('file types', () => {
  it('maps extensions to MIME types case-insensitively, unknown to octet-stream', () => {
    expect(mimeTypeFor('/a/B.PDF')).toBe('application/pdf');
    expect(mimeTypeFor('x.htm')).toBe('text/html');
    expect(mimeTypeFor('x.unknownext')).toBe('application/octet-stream');
    expect(supportedExtensions).toEqual(expect.arrayContaining(['.txt', '.md', '.html', '.htm', '.pdf', '.docx', '.json', '.csv', '.ts', '.py']));
  });
});
