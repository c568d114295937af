import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/fixtures/document-files.js';
import {
  DocumentFileRefusedError,
  isInside,
  openDocumentFile,
  readOpenedFile,
  resolveSourcePath,
  SOURCE_PATH_NOT_ALLOWED,
  type DocumentFileRefusal,
} from './document-roots.js';

let root: string;
let outside: string;
const inRoot = (...parts: string[]) => path.join(root, ...parts);

beforeAll(() => {
  root = makeTempDir('semantik-roots-');
  outside = makeTempDir('semantik-outside-');
  fs.writeFileSync(inRoot('doc.txt'), 'inside');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  fs.mkdirSync(inRoot('folder'));
  fs.mkdirSync(inRoot('.hidden'));
  fs.writeFileSync(inRoot('.hidden', 'key.txt'), 'key');
  fs.writeFileSync(inRoot('.dotfile'), 'dot');
  fs.symlinkSync(inRoot('doc.txt'), inRoot('alias.txt'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), inRoot('escape.txt'));
  fs.symlinkSync(inRoot('.hidden', 'key.txt'), inRoot('innocent.txt'));
  execFileSync('mkfifo', [inRoot('pipe.txt')]);
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

async function refusal(filePath: string, roots: string[] = [root], options: { maxBytes?: number; allowDotPaths?: boolean } = {}): Promise<DocumentFileRefusal> {
  const err = await openDocumentFile(filePath, roots, options).then(
    async (opened) => {
      await opened.handle.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err, filePath).toBeInstanceOf(DocumentFileRefusedError);
  return (err as DocumentFileRefusedError).reason;
}

describe('isInside', () => {
  it('is containment by whole segments', () => {
    expect(isInside('/a/b', '/a')).toBe(true);
    expect(isInside('/a', '/a')).toBe(true);
    expect(isInside('/ab', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/')).toBe(true);
  });
});

describe('openDocumentFile', () => {
  it('opens a regular file inside the roots once and reads from the descriptor; an in-root symlink resolves to its target', async () => {
    const opened = await openDocumentFile(inRoot('doc.txt'), [root]);
    try {
      expect(opened.stat.isFile()).toBe(true);
      expect(opened.realPath).toBe(inRoot('doc.txt'));
      expect((await readOpenedFile(opened)).toString()).toBe('inside');
    } finally {
      await opened.handle.close();
    }
    const alias = await openDocumentFile(inRoot('alias.txt'), [root]);
    expect(alias.realPath).toBe(inRoot('doc.txt'));
    await alias.handle.close();
  });

  it('refuses outside symlinks, folders, FIFOs, missing files and files over maxBytes, each with its reason', async () => {
    expect(await refusal(inRoot('escape.txt'))).toBe('outside_roots');
    expect(await refusal(path.join(outside, 'secret.txt'))).toBe('outside_roots');
    expect(await refusal(inRoot('folder'))).toBe('directory');
    expect(await refusal(inRoot('pipe.txt'))).toBe('not_regular_file');
    expect(await refusal(inRoot('missing.txt'))).toBe('missing');
    expect(await refusal(inRoot('doc.txt'), [root], { maxBytes: 3 })).toBe('too_large');
    // Per-call roots: the same file is refused against a list that does not hold it.
    expect(await refusal(inRoot('doc.txt'), [outside])).toBe('outside_roots');
    expect(await refusal(inRoot('doc.txt'), [])).toBe('outside_roots');
  });

  it('refuses dot-files and dot-folders below a root (also through a symlink) unless allowDotPaths', async () => {
    expect(await refusal(inRoot('.dotfile'))).toBe('dot_path');
    expect(await refusal(inRoot('.hidden', 'key.txt'))).toBe('dot_path');
    expect(await refusal(inRoot('innocent.txt'))).toBe('dot_path');
    const allowed = await openDocumentFile(inRoot('innocent.txt'), [root], { allowDotPaths: true });
    expect((await readOpenedFile(allowed)).toString()).toBe('key');
    await allowed.handle.close();
    // A root the administrator configured under a dot-folder is that administrator's choice.
    const opened = await openDocumentFile(inRoot('.hidden', 'key.txt'), [inRoot('.hidden')]);
    await opened.handle.close();
  });
});

describe('resolveSourcePath', () => {
  const asUser = { allowDotPaths: false, revealDetails: false };
  const asAdmin = { allowDotPaths: false, revealDetails: true };
  const message = (p: string, options = asUser) =>
    resolveSourcePath(p, [root], options).then(
      () => 'accepted',
      (err: Error) => err.message,
    );

  it('returns the real path of a folder inside the roots', async () => {
    expect(await resolveSourcePath(inRoot('folder'), [root], asUser)).toBe(inRoot('folder'));
  });

  it('gives a non-admin one message for every outside or missing path, never the roots; admins get the reason and the roots', async () => {
    const probes = [outside, path.join(outside, 'secret.txt'), path.join(outside, 'missing'), inRoot('missing'), inRoot('escape.txt'), '/etc'];
    for (const probe of probes) expect(await message(probe), probe).toBe(SOURCE_PATH_NOT_ALLOWED);
    expect(await message(outside, asAdmin)).toMatch(new RegExp(`outside the allowed document roots.*${root}`));
    expect(await message(inRoot('missing'), asAdmin)).toMatch(/does not exist/);
    // Inside the roots the answer may be precise.
    expect(await message(inRoot('doc.txt'))).toMatch(/is not a folder/);
    expect(await message(inRoot('.hidden'))).toMatch(/dot-folder \("\.hidden"\).*SEMANTIK_ALLOW_DOT_PATHS=true/);
    expect(await message(inRoot('.hidden'), { allowDotPaths: true, revealDetails: false })).toBe('accepted');
  });
});
