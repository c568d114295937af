import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedDocumentRoots, checkGrantedDocumentRoots, configuredDocumentRoots } from './user-document-roots.js';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-user-roots-')));
const globalRoot = path.join(base, 'docs');
const outside = path.join(base, 'outside');
for (const dir of [path.join(globalRoot, 'alice'), path.join(globalRoot, 'team', 'inner'), outside]) fs.mkdirSync(dir, { recursive: true });
fs.symlinkSync(outside, path.join(globalRoot, 'escape'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const config = { documentRoots: [globalRoot], userRootTemplate: undefined as string | undefined };
const member = (document_roots: string[] | null, username = 'alice') => ({ username, is_superuser: false, document_roots });

describe('allowedDocumentRoots', () => {
  it('superusers get the global roots; members only their own, intersected with the global roots by real path', async () => {
    expect(await allowedDocumentRoots({ username: 'root', is_superuser: true, document_roots: [] }, config)).toEqual([globalRoot]);
    expect(await allowedDocumentRoots(member(null), config)).toEqual([]);
    expect(await allowedDocumentRoots(member([]), config)).toEqual([]);
    expect(await allowedDocumentRoots(member([path.join(globalRoot, 'alice'), outside, path.join(globalRoot, 'escape'), path.join(globalRoot, 'missing')]), config)).toEqual([
      path.join(globalRoot, 'alice'),
    ]);
    // A grant wider than the global roots is cut down to them (roots narrowed after the grant).
    expect(await allowedDocumentRoots(member([base]), { ...config, documentRoots: [path.join(globalRoot, 'team')] })).toEqual([path.join(globalRoot, 'team')]);
  });

  it('SEMANTIK_USER_ROOT_TEMPLATE applies only when the user has no roots set', async () => {
    const templated = { ...config, userRootTemplate: path.join(globalRoot, '{username}') };
    expect(await allowedDocumentRoots(member(null), templated)).toEqual([path.join(globalRoot, 'alice')]);
    expect(await allowedDocumentRoots(member([]), templated)).toEqual([]);
    expect(await allowedDocumentRoots(member(null, 'nobody-yet'), templated)).toEqual([]);
    expect(configuredDocumentRoots(member(null, '..'), templated)).toEqual([]);
  });
});

describe('checkGrantedDocumentRoots', () => {
  it('accepts absolute folders inside the global roots, normalised and de-duplicated; refuses the rest', () => {
    expect(checkGrantedDocumentRoots([`${globalRoot}/alice/`, `${globalRoot}/alice`], config)).toEqual([path.join(globalRoot, 'alice')]);
    expect(() => checkGrantedDocumentRoots([outside], config)).toThrow(/outside the server's document roots/);
    expect(() => checkGrantedDocumentRoots(['relative/dir'], config)).toThrow(/absolute/);
    expect(() => checkGrantedDocumentRoots([`${globalRoot}/../outside`], config)).toThrow(/\.\./);
  });
});
