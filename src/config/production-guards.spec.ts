import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { assertProductionReady, checkProductionReadiness } from './production-guards.js';

const STRONG_SECRET = '3f9c1a7be24d8f60c5a9e1d27b4f8c03a6e5d9b1f2c47e8a';
const STRONG_URL = 'postgres://semantik:Xk29-vLq7-Pw3z@db:5432/semantik';

function config(env: Record<string, string | undefined>) {
  return loadConfig({ NODE_ENV: 'production', SEMANTIK_DATA_DIR: '/tmp/semantik-guards', ...env });
}

describe('production guards', () => {
  it('accepts a strong secret and a non-default database password', () => {
    expect(assertProductionReady(config({ JWT_SECRET_KEY: STRONG_SECRET, DATABASE_URL: STRONG_URL }))).toEqual([]);
  });

  it('does not apply outside production', () => {
    expect(assertProductionReady(loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://semantik:semantik@db/semantik' }))).toEqual([]);
    expect(checkProductionReadiness(loadConfig({ NODE_ENV: 'test' })).problems).toEqual([]);
  });

  it.each([
    ['unset', undefined, /JWT_SECRET_KEY is not set/],
    ['blank', '   ', /JWT_SECRET_KEY is not set/],
    ['too short', 'a1b2c3d4e5f6', /12 characters; at least 32/],
    ['a known weak value', 'changeme', /well-known placeholder/],
    ['"secret" in any case', 'SECRET', /well-known placeholder/],
    ['a long placeholder', 'change-me-to-a-random-64-character-hex-string-0000', /well-known placeholder/],
    ['a repetitive pattern', 'abababababababababababababababababab', /repetitive pattern/],
  ])('refuses a JWT secret that is %s', (_label, secret, message) => {
    const cfg = config({ JWT_SECRET_KEY: secret, DATABASE_URL: STRONG_URL });
    expect(() => assertProductionReady(cfg)).toThrow(ConfigError);
    expect(() => assertProductionReady(cfg)).toThrow(message);
  });

  it.each(['semantik', 'postgres', 'password', 'changeme', 'Postgres', 'change-me-openssl-rand-hex-24'])('refuses the default database password %s', (password) => {
    const cfg = config({ JWT_SECRET_KEY: STRONG_SECRET, DATABASE_URL: `postgres://semantik:${password}@db:5432/semantik` });
    expect(() => assertProductionReady(cfg)).toThrow(/DATABASE_URL uses a default password/);
  });

  it('decodes a percent-encoded password before comparing', () => {
    const cfg = config({ JWT_SECRET_KEY: STRONG_SECRET, DATABASE_URL: 'postgres://u:%70ostgres@db/semantik' });
    expect(checkProductionReadiness(cfg).problems).toHaveLength(1);
  });

  it('lists every problem at once', () => {
    const cfg = config({ JWT_SECRET_KEY: 'secret', DATABASE_URL: 'postgres://semantik:semantik@db/semantik' });
    let message = '';
    try {
      assertProductionReady(cfg);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/Refusing to start with NODE_ENV=production/);
    expect(message).toMatch(/JWT_SECRET_KEY/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/openssl rand -hex 32/);
  });

  it('allows the embedded database in production with a warning', () => {
    const warnings = assertProductionReady(config({ JWT_SECRET_KEY: STRONG_SECRET }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/embedded database/);
  });

  it('allows a URL without a password (peer/cert auth or PGPASSWORD)', () => {
    expect(assertProductionReady(config({ JWT_SECRET_KEY: STRONG_SECRET, DATABASE_URL: 'postgres://semantik@db/semantik' }))).toEqual([]);
  });
});
