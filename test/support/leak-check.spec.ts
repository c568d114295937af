import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findLeaks, leaksAfterSettling, takeSnapshot } from './resource-leaks.js';

/**
 * The leak check itself (test/support/leak-check.setup.ts): the detector names what a file left
 * open and where it was made, and a real vitest run fails a leaking file and passes a tidy one.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('leak detector', () => {
  it('names a timer, a server and its sockets left open, with where they were made; nothing once closed', async () => {
    const baseline = takeSnapshot();
    const interval = setInterval(() => undefined, 60_000);
    interval.unref(); // unref'd timers still run: they count
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));

    const leaks = findLeaks(baseline);
    expect(leaks).toEqual(
      expect.arrayContaining([
        { kind: 'timer', description: expect.stringMatching(/^setInterval\(…, 60000 ms\) created at .*leak-check\.spec\.ts:\d+/) },
        { kind: 'server', description: expect.stringMatching(/^listening on 127\.0\.0\.1:\d+$/) },
        { kind: 'socket', description: expect.stringMatching(/^TCP 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+$/) },
      ]),
    );

    clearInterval(interval);
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    expect(await leaksAfterSettling(baseline)).toEqual([]);
  });

  it('a vitest run fails the file that leaks, naming each resource, and passes the one that closes everything', async () => {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-leaks-')), 'report.json');
    const args = ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/leaky/vitest.config.ts', '--reporter=json', `--outputFile=${report}`];
    // The fixture run exits 1 (a file failed); the JSON report says which and why.
    await new Promise<void>((resolve) => execFile(process.execPath, args, { cwd: repoRoot, timeout: 240_000 }, () => resolve()));
    const results = (JSON.parse(fs.readFileSync(report, 'utf8')) as { testResults: { name: string; status: string; message: string }[] }).testResults;
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
    const byFile = new Map(results.map((r) => [path.basename(r.name), r]));
    expect(byFile.get('cleans-up.fixture.ts')).toMatchObject({ status: 'passed' });
    const leaky = byFile.get('leaks-everything.fixture.ts');
    expect(leaky?.status).toBe('failed');
    for (const expected of [
      /timer: setInterval\(…, 60000 ms\) created at .*leaks-everything\.fixture\.ts/,
      /worker thread: Worker\(setInterval/,
      /PGlite: PGlite\(in memory\) created at .*leaks-everything\.fixture\.ts/,
      /server: listening on 127\.0\.0\.1/,
      /child process: pid \d+: .*node -e setTimeout/,
    ]) {
      expect(leaky?.message).toMatch(expected);
    }
  }, 300_000);
});
