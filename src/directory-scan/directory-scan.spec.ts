import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/test-databases.js';
import { SOURCE_PATH_NOT_ALLOWED } from '../document-roots/document-roots.js';
import { RateLimitedError } from '../errors/domain-errors.js';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { DirectoryScanHub } from './directory-scan.hub.js';
import { DIRECTORY_SCAN_LIMITS, previewDirectory, type DirectoryScanMessage } from './directory-scan.service.js';
import { WebSocket, type WsClient } from '../../test/support/ws-client.js';

/**
 * The folder preview under the sources API's path rules: the caller's allowed roots, dot-paths,
 * symlinks judged by their real path, one answer for every refusal a non-admin gets. Real folders
 * under the test's document root; the outside folder is a sibling temp dir.
 */

let t: TestApp;
let admin: TestUser;
let outside: string;

beforeAll(async () => {
  // 2 KiB file size limit, so a "too large" file is cheap to make.
  t = await createTestApp({ env: { SEMANTIK_MAX_FILE_SIZE_MB: String(2 / 1024) } });
  admin = await registerAndLogin(t.app, 'admin');
  outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-outside-')));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
});
afterAll(async () => {
  await t?.dispose();
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = path.join(t.documentRoot, uniqueName('scan'));
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), content);
  }
  return dir;
}

const preview = (user: TestUser | undefined, body: Record<string, unknown>) =>
  call(t.app, user, { method: 'POST', url: '/api/v2/directory-scan/preview', payload: { scan_id: uniqueName('s'), recursive: true, ...body } });

describe('POST /api/v2/directory-scan/preview', () => {
  it('counts what indexing would take: dot entries and too-large files left out, symlinks out of the roots refused with a warning', async () => {
    const dir = tree({ 'a.md': '# a', 'b.txt': 'bb', 'sub/c.py': 'print(1)', 'sub/Makefile': 'all:', '.git/config': 'x', '.env': 'x', 'big.md': 'x'.repeat(4096) });
    fs.symlinkSync(outside, path.join(dir, 'escape'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'secret-link.txt'));
    const res = await preview(admin, { path: dir });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ path: dir, total_files: 4, total_size: 3 + 2 + 8 + 4, supported_files: 3, other_files: 1, complete: true });
    expect(res.body.files.map((f: { file_path: string }) => path.relative(dir, f.file_path)).sort()).toEqual(['a.md', 'b.txt', 'sub/Makefile', 'sub/c.py']);
    expect(res.body.files.find((f: { file_name: string }) => f.file_name === 'a.md')).toMatchObject({ file_size: 3, mime_type: 'text/markdown', content_hash: null });
    const warnings = res.body.warnings.join('\n');
    expect(warnings).toContain(`${path.join(dir, 'big.md')}: file too large`);
    expect(warnings).toContain(`${path.join(dir, 'escape')}: symlink resolves outside the allowed document roots`);
    expect(warnings).toContain(`${path.join(dir, 'secret-link.txt')}: symlink resolves outside`);
    expect(JSON.stringify(res.body)).not.toContain('secret.txt"'); // the target's name never appears
    expect(JSON.stringify(res.body)).not.toContain(outside);
  });

  it('recursive:false and include/exclude globs as in a source config', async () => {
    const dir = tree({ 'a.md': 'a', 'b.txt': 'b', 'sub/c.md': 'c' });
    expect((await preview(admin, { path: dir, recursive: false })).body.total_files).toBe(2);
    expect((await preview(admin, { path: dir, include_patterns: ['*.md'] })).body.total_files).toBe(2);
    expect((await preview(admin, { path: dir, exclude_patterns: ['sub'] })).body.total_files).toBe(2);
    const bad = await preview(admin, { path: dir, include_patterns: ['@(a|b)'] });
    expect(bad.status).toBe(422);
  });

  it("a user gets their own allowed roots: outside them, missing or a symlink out are one 400 that says nothing of what is there", async () => {
    const mine = tree({ 'doc.md': 'mine' });
    const user = await registerAndLogin(t.app, 'scanner', { documentRoots: [mine] });
    expect((await preview(user, { path: mine })).body.total_files).toBe(1);

    const someoneElses = tree({ 'private.md': 'theirs' });
    fs.symlinkSync(someoneElses, path.join(mine, 'link-to-theirs'));
    for (const refused of [someoneElses, outside, path.join(mine, 'nope'), path.join(mine, 'link-to-theirs'), '/etc']) {
      const res = await preview(user, { path: refused });
      expect(res.status, refused).toBe(400);
      expect(res.body, refused).toEqual({ detail: SOURCE_PATH_NOT_ALLOWED, code: 'bad_request' });
    }
    // Inside the user's root, a symlink to another user's folder is not followed by the walk either.
    const inside = await preview(user, { path: mine });
    expect(inside.body.total_files).toBe(1);
    expect(inside.body.warnings.join('\n')).toContain('link-to-theirs: symlink resolves outside');

    // Inside the roots the caller may know what is there, as with sources.
    expect((await preview(user, { path: path.join(mine, 'doc.md') })).body.detail).toMatch(/is not a folder/);
    // Lexical checks are precise for everyone.
    expect((await preview(user, { path: 'relative/dir' })).body.detail).toMatch(/must be an absolute path/);
    expect((await preview(user, { path: `${mine}/../x` })).body.detail).toMatch(/must not contain "\.\."/);
    // An administrator is told why.
    expect((await preview(admin, { path: outside })).body.detail).toMatch(/outside the allowed document roots/);
  });

  it('a dot-folder is refused (400, inside the roots so the reason is given); no roots is 403; no credential 401', async () => {
    const dir = tree({ '.notes/a.md': 'a' });
    const dot = await preview(admin, { path: path.join(dir, '.notes') });
    expect(dot.status).toBe(400);
    expect(dot.body).toMatchObject({ code: 'bad_request', detail: expect.stringMatching(/dot-folder \("\.notes"\).*SEMANTIK_ALLOW_DOT_PATHS/) });

    const rootless = await registerAndLogin(t.app, 'rootless', { documentRoots: null });
    const none = await preview(rootless, { path: dir });
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('forbidden');
    expect((await preview(undefined, { path: dir })).status).toBe(401);
    expect((await preview(admin, { path: dir, scan_id: '../../etc' })).status).toBe(422);
  });
});

describe('WS /ws/directory-scan/{scan_id}', () => {
  let baseUrl: string;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `ws://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  function open(url: string, protocols?: string[]): Promise<{ client: WsClient; messages: DirectoryScanMessage[]; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const client = new WebSocket(url, protocols);
      const messages: DirectoryScanMessage[] = [];
      const closed = new Promise<number>((r) => client.on('close', (code) => r(code)));
      client.on('message', (data) => messages.push(JSON.parse(data.toString())));
      client.on('open', () => resolve({ client, messages, closed }));
      client.on('unexpected-response', (_req: unknown, res: { statusCode: number }) => reject(new Error(`HTTP ${res.statusCode}`)));
      client.on('error', reject);
    });
  }

  it("streams the user's own scan (access_token subprotocol) and closes 1000; another user's socket on the same id hears nothing", async () => {
    const dir = tree({ 'a.md': 'a', 'b.md': 'b' });
    const other = await registerAndLogin(t.app, 'eavesdropper');
    const scanId = uniqueName('s');
    const mine = await open(`${baseUrl}/ws/directory-scan/${scanId}`, [`access_token.${admin.access}`]);
    const theirs = await open(`${baseUrl}/ws/directory-scan/${scanId}?token=${other.access}`);
    const res = await preview(admin, { path: dir, scan_id: scanId });
    expect(res.status).toBe(200);
    expect(await mine.closed).toBe(1000);
    const types = mine.messages.map((m) => m.type);
    expect(types[0]).toBe('started');
    expect(types.at(-1)).toBe('completed');
    expect(types.slice(1, -1)).toEqual(expect.arrayContaining(['progress']));
    expect(types.slice(1, -1).every((type) => type === 'progress')).toBe(true);
    expect(mine.messages.every((m) => m.scan_id === scanId)).toBe(true);
    expect(mine.messages.at(-1)!.data).toMatchObject({ total_files: 2, total_size: 2, warnings: [], complete: true });
    expect(theirs.messages).toEqual([]);
    theirs.client.close();
  });

  it('a socket opened after the scan ended gets how it ended at once; a refused path is an error message; bad credentials are 401', async () => {
    const dir = tree({ 'a.md': 'a' });
    const scanId = uniqueName('s');
    await preview(admin, { path: dir, scan_id: scanId });
    const late = await open(`${baseUrl}/ws/directory-scan/${scanId}?token=${admin.access}`);
    expect(await late.closed).toBe(1000);
    expect(late.messages).toMatchObject([{ type: 'completed', data: { total_files: 1 } }]);

    const failedId = uniqueName('s');
    const watching = await open(`${baseUrl}/ws/directory-scan/${failedId}`, [`access_token.${admin.access}`]);
    expect((await preview(admin, { path: outside, scan_id: failedId })).status).toBe(400);
    expect(await watching.closed).toBe(1000);
    expect(watching.messages).toMatchObject([{ type: 'error', data: { message: expect.stringMatching(/outside the allowed document roots/) } }]);

    await expect(open(`${baseUrl}/ws/directory-scan/${scanId}`, ['access_token.garbage'])).rejects.toThrow('HTTP 401');
    await expect(open(`${baseUrl}/ws/directory-scan/${scanId}`)).rejects.toThrow('HTTP 401');
  });
});

describe('bounds', () => {
  it('a cap stops the walk: complete:false, totals are lower bounds, at most listedFiles listed', async () => {
    const dir = tree(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${String(i).padStart(2, '0')}.txt`, 'x'])));
    const messages: DirectoryScanMessage[] = [];
    const result = await previewDirectory(
      { path: dir, scanId: 's1', recursive: true, include: [], exclude: [] },
      {
        roots: [t.documentRoot],
        pathOptions: { allowDotPaths: false, revealDetails: true },
        maxFileSizeBytes: 1024,
        limits: { ...DIRECTORY_SCAN_LIMITS, countedFiles: 5, listedFiles: 3 },
      },
      (m) => messages.push(m),
    );
    expect(result).toMatchObject({ total_files: 5, total_size: 5, complete: false });
    expect(result.files).toHaveLength(3);
    expect(result.warnings.at(-1)).toMatch(/Incomplete: the scan stopped at 5 files/);
    expect(messages.at(-1)).toMatchObject({ type: 'completed', data: { complete: false, total_files: 5 } });
  });

  it('an aborted client stops the walk at its next entry', async () => {
    const dir = tree({ 'a.txt': 'a', 'b.txt': 'b' });
    const gone = new AbortController();
    gone.abort();
    const result = await previewDirectory(
      { path: dir, scanId: 's2', recursive: true, include: [], exclude: [] },
      { roots: [t.documentRoot], pathOptions: { allowDotPaths: false, revealDetails: true }, maxFileSizeBytes: 1024, signal: gone.signal },
      () => undefined,
    );
    expect(result).toMatchObject({ total_files: 0, complete: false });
  });

  it('one running scan per user and two per process (429); a released slot can be taken again', () => {
    const hub = new DirectoryScanHub();
    const first = hub.start(1, 'a');
    expect(() => hub.start(1, 'b')).toThrow(RateLimitedError);
    const second = hub.start(2, 'c');
    expect(() => hub.start(3, 'd')).toThrow(/as many directory scans as it allows/);
    first.release();
    second.release();
    expect(() => hub.start(1, 'e').release()).not.toThrow();
  });

  it("a watcher hears only its user's scan with its id, and the last message of a finished scan", () => {
    const hub = new DirectoryScanHub();
    const heard: string[] = [];
    const watch = hub.watch(7, 'x', (m) => heard.push(`${m.type}:${m.scan_id}`));
    expect(watch.last).toBeUndefined();
    const slot = hub.start(8, 'x');
    slot.publish({ type: 'started', scan_id: 'x', data: {} });
    slot.release();
    const own = hub.start(7, 'x');
    own.publish({ type: 'completed', scan_id: 'x', data: {} });
    own.release();
    expect(heard).toEqual(['completed:x']);
    expect(hub.watch(7, 'x', () => undefined).last).toMatchObject({ type: 'completed' });
    expect(hub.watch(7, 'y', () => undefined).last).toBeUndefined();
    watch.stop();
  });
});
