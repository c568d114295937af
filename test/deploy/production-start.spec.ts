import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The production guards at the real entry points: `semantik serve` and `semantik worker` with
 * NODE_ENV=production and unsafe settings exit before opening the database, listing every problem.
 */
const BIN = path.resolve(import.meta.dirname, '../../bin/semantik.js');

describe.each([['serve'], ['worker']])('semantik %s with NODE_ENV=production', (command) => {
  it('refuses a weak JWT secret and a default database password, naming both fixes', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-guard-'));
    try {
      const result = spawnSync(process.execPath, [BIN, command], {
        cwd, // no stray .env
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: cwd,
          SEMANTIK_FROM_SOURCE: '1',
          NODE_ENV: 'production',
          JWT_SECRET_KEY: 'secret',
          // Port 1: nothing listens there, so reaching the database would fail differently.
          DATABASE_URL: 'postgres://semantik:semantik@127.0.0.1:1/semantik',
        },
      });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/Refusing to start with NODE_ENV=production/);
      expect(result.stderr).toMatch(/JWT_SECRET_KEY is a well-known placeholder/);
      expect(result.stderr).toMatch(/DATABASE_URL uses a default password/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
