import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-body.parser.js';

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  user = await registerAndLogin(t.app, 'headers');
});
afterAll(async () => {
  await t?.dispose();
});

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('security headers', () => {
  it('every answer — success, 401, 404, 422 — carries the CSP, frame, sniffing and referrer headers', async () => {
    const answers = [
      await t.app.inject({ method: 'GET', url: '/api/health' }),
      await t.app.inject({ method: 'GET', url: '/api/v2/collections' }),
      await t.app.inject({ method: 'GET', url: '/api/v2/nope', headers: user.auth }),
      await t.app.inject({ method: 'POST', url: '/api/v2/collections', headers: user.auth, payload: { name: '' } }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 422]);
    for (const answer of answers) {
      const csp = String(answer.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('the API docs page keeps working under its own policy', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });
});

describe('JSON nesting cap', () => {
  it('a body nested 100,000 deep is a 400 with a message, not a 500, and stores nothing', async () => {
    // Collection metadata is free-form JSON: before the cap this overflowed the stack (500, RangeError).
    const deepMetadata = `{"name":"deep","metadata":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const res = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', headers: { 'content-type': 'application/json' }, payload: deepMetadata });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: `Request body JSON is nested deeper than ${MAX_JSON_DEPTH} levels`, code: 'bad_request' });
    expect((await call(t.app, user, { method: 'GET', url: '/api/v2/collections' })).body.total).toBe(0);
    const array = await call(t.app, user, { method: 'POST', url: '/api/v2/search', headers: { 'content-type': 'application/json' }, payload: nested(100_000) });
    expect(array.status).toBe(400);
  });

  it('nesting up to the cap, and brackets inside strings, reach validation as usual', async () => {
    const atCap = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', headers: { 'content-type': 'application/json' }, payload: `{"name":${nested(MAX_JSON_DEPTH - 1)}}` });
    expect(atCap.status).toBe(422);
    const bracketsInText = await call(t.app, user, { method: 'POST', url: '/api/v2/collections', payload: { name: 'x', description: `${'['.repeat(500)}"\\{` } });
    expect(bracketsInText.status).toBe(201);
  });

  it('counts depth outside strings only', () => {
    expect(jsonNestingExceeds(nested(3), 3)).toBe(false);
    expect(jsonNestingExceeds(nested(4), 3)).toBe(true);
    expect(jsonNestingExceeds(`{"a":"[[[[[\\"[[[["}`, 1)).toBe(false);
    expect(jsonNestingExceeds(`{"a":{"b":[1]}}`, 2)).toBe(true);
  });
});
