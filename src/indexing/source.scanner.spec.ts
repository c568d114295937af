import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/fixtures/document-files.js';
import { startPathSwapper } from '../../test/fixtures/path-swapper.js';
import { extractText } from '../ingest/extract/document.extractor.js';
import type { ExtractionError } from '../ingest/extract/extraction.error.js';
import { PermanentJobError } from '../jobs/job-errors.js';
import { planChanges } from './index.handler.js';
import { scanSource, type ScannedFile } from './source.scanner.js';

let root: string;
let src: string;
const defaults = { recursive: true, include: [] as string[], exclude: [] as string[], maxFileSizeBytes: 1_000 };

beforeAll(() => {
  root = makeTempDir('semantik-scan-');
  src = path.join(root, 'src');
  fs.mkdirSync(path.join(src, 'sub', 'deep'), { recursive: true });
  fs.mkdirSync(path.join(src, '.git'));
  fs.writeFileSync(path.join(src, 'a.md'), '# A');
  fs.writeFileSync(path.join(src, 'b.txt'), 'bee');
  fs.writeFileSync(path.join(src, 'same-as-b.txt'), 'bee');
  fs.writeFileSync(path.join(src, 'empty-1.txt'), '');
  fs.writeFileSync(path.join(src, 'empty-2.txt'), '');
  fs.writeFileSync(path.join(src, 'huge.txt'), 'x'.repeat(2_000));
  fs.writeFileSync(path.join(src, 'sub', 'c.md'), '# C');
  fs.writeFileSync(path.join(src, 'sub', 'deep', 'd.txt'), 'dee');
  fs.writeFileSync(path.join(src, '.git', 'HEAD'), 'ref');
  fs.symlinkSync(src, path.join(src, 'sub', 'loop')); // a cycle back to the top
  fs.symlinkSync('/etc/hostname', path.join(src, 'outside.txt'));
  // A FIFO would block a reader forever: the scanner must skip it.
  execFileSync('mkfifo', [path.join(src, 'pipe')]);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const names = (files: ScannedFile[]) => files.map((f) => path.relative(src, f.path)).sort();

describe('scanSource', () => {
  it('walks recursively, skips dot-folders, refuses links out of the roots, survives loops', async () => {
    const scan = await scanSource(src, { ...defaults, documentRoots: [root] });
    expect(names(scan.files)).toEqual(['a.md', 'b.txt', 'empty-1.txt', 'empty-2.txt', 'huge.txt', 'same-as-b.txt', 'sub/c.md', 'sub/deep/d.txt']);
    expect(scan.refused.map((r) => path.basename(r.path))).toEqual(['outside.txt']);
  });

  it('hashes content; empty and over-limit files get distinct stand-in hashes', async () => {
    const scan = await scanSource(src, { ...defaults, documentRoots: [root] });
    const by = new Map(scan.files.map((f) => [path.basename(f.path), f]));
    expect(by.get('b.txt')!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(by.get('b.txt')!.contentHash).toBe(by.get('same-as-b.txt')!.contentHash);
    expect(by.get('empty-1.txt')!.contentHash).toMatch(/^unhashed:/);
    expect(by.get('empty-1.txt')!.contentHash).not.toBe(by.get('empty-2.txt')!.contentHash);
    expect(by.get('huge.txt')!.contentHash).toMatch(/^unhashed:/);
    const again = await scanSource(src, { ...defaults, documentRoots: [root] });
    expect(again.files.map((f) => f.contentHash)).toEqual(scan.files.map((f) => f.contentHash));
  });

  it('honours include, exclude and recursive', async () => {
    const md = await scanSource(src, { ...defaults, include: ['*.md'], documentRoots: [root] });
    expect(names(md.files)).toEqual(['a.md', 'sub/c.md']);
    const noSub = await scanSource(src, { ...defaults, exclude: ['sub/**', '*.txt'], documentRoots: [root] });
    expect(names(noSub.files)).toEqual(['a.md']);
    const flat = await scanSource(src, { ...defaults, recursive: false, documentRoots: [root] });
    expect(names(flat.files).some((n) => n.includes('/'))).toBe(false);
    // A pattern with `/` matches the path relative to the source (picomatch's basename mode matched nothing here).
    expect(names((await scanSource(src, { ...defaults, include: ['sub/*.md', 'sub/**/*.txt'], documentRoots: [root] })).files)).toEqual(['sub/c.md', 'sub/deep/d.txt']);
  });

  it('fails a scan whose stored patterns are refused now, permanently and naming the pattern', async () => {
    const scan = scanSource(src, { ...defaults, exclude: ['*.md', '*(*)x'], documentRoots: [root] });
    await expect(scan).rejects.toThrow(PermanentJobError);
    await expect(scan).rejects.toThrow(/^Source exclude pattern "\*\(\*\)x": extglobs .* not supported/);
  });

  it('refuses a source outside the roots, by real path', async () => {
    await expect(scanSource('/etc', { ...defaults, documentRoots: [root] })).rejects.toThrow(PermanentJobError);
    fs.symlinkSync('/etc', path.join(root, 'etc-link'));
    await expect(scanSource(path.join(root, 'etc-link'), { ...defaults, documentRoots: [root] })).rejects.toThrow(/outside the allowed document roots/);
  });
});

describe('scanSource under hostile file systems', () => {
  const OUTSIDE = 'OUTSIDE SECRET bytes that must never be hashed or read\n';
  const outsideHash = createHash('sha256').update(OUTSIDE).digest('hex');

  it('refuses a source under a dot-folder, and a symlink into one, unless allowDotPaths', async () => {
    const hidden = path.join(root, '.config', 'notes');
    fs.mkdirSync(hidden, { recursive: true });
    fs.writeFileSync(path.join(hidden, 'n.txt'), 'note');
    await expect(scanSource(hidden, { ...defaults, documentRoots: [root] })).rejects.toThrow(/dot-folder \("\.config"\).*SEMANTIK_ALLOW_DOT_PATHS=true/);
    expect(names((await scanSource(hidden, { ...defaults, documentRoots: [root], allowDotPaths: true })).files).length).toBe(1);
    const plain = path.join(root, 'plain');
    fs.mkdirSync(plain);
    fs.symlinkSync(path.join(hidden, 'n.txt'), path.join(plain, 'looks-fine.txt'));
    const scan = await scanSource(plain, { ...defaults, documentRoots: [root] });
    expect(scan.files).toEqual([]);
    expect(scan.refused).toEqual([{ path: path.join(plain, 'looks-fine.txt'), reason: expect.stringMatching(/dot-folder/) }]);
  });

  it('file↔symlink, file↔FIFO and folder↔symlink swaps during 40 scans and 200 reads neither hang nor read outside bytes', async () => {
    const outside = makeTempDir('semantik-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), OUTSIDE);
    fs.writeFileSync(path.join(outside, 'doc.txt'), OUTSIDE);
    const racing = path.join(root, 'racing');
    fs.mkdirSync(racing);
    fs.writeFileSync(path.join(racing, 'good.txt'), 'good');
    fs.writeFileSync(path.join(racing, '.variant-file'), 'inside text');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(racing, '.variant-link'));
    execFileSync('mkfifo', [path.join(racing, '.variant-fifo')]);
    fs.mkdirSync(path.join(racing, '.variant-dir'));
    fs.writeFileSync(path.join(racing, '.variant-dir', 'doc.txt'), 'inside text');
    fs.symlinkSync(outside, path.join(racing, '.variant-dir-link'));
    const swappers = [
      await startPathSwapper('link', path.join(racing, 'swapped.txt'), [path.join(racing, '.variant-file'), path.join(racing, '.variant-link')]),
      await startPathSwapper('link', path.join(racing, 'piped.txt'), [path.join(racing, '.variant-file'), path.join(racing, '.variant-fifo')]),
      await startPathSwapper('rename', path.join(racing, 'sub'), [path.join(racing, '.variant-dir'), path.join(racing, '.variant-dir-link')]),
    ];
    const hashes = new Set<string>();
    const texts = new Set<string>();
    try {
      for (let i = 0; i < 40; i++) {
        const scan = await scanSource(racing, { ...defaults, documentRoots: [root] });
        for (const f of scan.files) hashes.add(f.contentHash);
      }
      for (let i = 0; i < 200; i++) {
        const target = ['swapped.txt', 'piped.txt', 'sub/doc.txt'][i % 3]!;
        const text = await extractText(path.join(racing, target), { maxBytes: 1_000, documentRoots: [root] }).then(
          (r) => r.text,
          (err: ExtractionError) => `failed: ${err.reason}`,
        );
        texts.add(text);
      }
    } finally {
      await Promise.all(swappers.map((s) => s.stop()));
      fs.rmSync(outside, { recursive: true, force: true });
    }
    expect(hashes.has(outsideHash)).toBe(false);
    expect([...texts].some((text) => text.includes('OUTSIDE'))).toBe(false);
    expect([...texts].every((text) => text === 'inside text' || text.startsWith('failed: ')), [...texts].join(' | ')).toBe(true);
  });
});

describe('planChanges', () => {
  const file = (p: string, hash: string): ScannedFile => ({ path: p, size: 1, modifiedAt: new Date(0), contentHash: hash });
  const doc = (id: string, p: string, hash: string, status: 'completed' | 'failed' | 'pending' = 'completed', source_id = 1) => ({
    id,
    file_path: p,
    content_hash: hash,
    status,
    source_id,
  });

  it('skips known content, relocates moved files, supersedes modified ones, removes vanished ones', () => {
    const plan = planChanges(
      [file('/s/same', 'h1'), file('/s/moved-to', 'h2'), file('/s/modified', 'h3-new'), file('/s/new', 'h4'), file('/s/bad', 'h5'), file('/s/retry', 'h6')],
      [
        doc('d1', '/s/same', 'h1'),
        doc('d2', '/s/moved-from', 'h2'),
        doc('d3', '/s/modified', 'h3-old'),
        doc('d5', '/s/bad', 'h5', 'failed'),
        doc('d6', '/s/retry', 'h6', 'pending'),
        doc('d7', '/s/deleted', 'h7'),
        doc('d8', '/other/x', 'h8', 'completed', 2),
      ],
      1,
    );
    expect(plan.toProcess.map((f) => [f.path, f.supersedes])).toEqual([
      ['/s/modified', ['d3']],
      ['/s/new', []],
      ['/s/retry', []],
    ]);
    expect(plan.relocations).toEqual([{ id: 'd2', file_path: '/s/moved-to', file_name: 'moved-to', source_id: 1, file_modified_at: expect.any(Date) }]);
    expect(plan.moved).toBe(1);
    expect(plan.vanished).toEqual(['d7']);
    expect(plan.unchanged).toBe(3);
  });

  it('keeps the documents under a folder that could not be listed instead of removing them', () => {
    const existing = [doc('d1', '/s/locked/a', 'h1'), doc('d2', '/s/locked/deep/b', 'h2'), doc('d3', '/s/locked-not/c', 'h3'), doc('d4', '/s/gone', 'h4')];
    expect(planChanges([], existing, 1, ['/s/locked']).vanished).toEqual(['d3', 'd4']);
    expect(planChanges([], existing, 1, ['/s']).vanished).toEqual([]);
  });
});
