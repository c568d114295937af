import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { RateLimitedError } from '../errors/domain-errors.js';
import { call, createTestApp, registerAndLogin, type TestApp } from '../../test/support/test-app.js';
import { uniqueName } from '../../test/support/test-databases.js';
import { loginBudgetsFrom, LoginRateLimiter } from './login-rate.limiter.js';

const login = (t: TestApp, username: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  t.app
    .inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: 'sprayed-password' }, remoteAddress, headers })
    .then((res) => ({ status: res.statusCode, body: res.json() as { code: string; detail: string }, retryAfter: Number(res.headers['retry-after']) }));

describe('login budgets over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('password spraying (one address, many usernames) hits the per-address budget: 429 with Retry-After; other addresses are unaffected', async () => {
    const sprayer = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      // X-Forwarded-For is ignored by default (SEMANTIK_TRUST_PROXY off), so rotating it buys nothing.
      statuses.push((await login(t, uniqueName(`spray${i}`), sprayer, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    }
    expect(statuses.every((s) => s === 401)).toBe(true);

    const refused = await login(t, uniqueName('spray-next'), sprayer);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(refused.body.detail).toContain('from your address');
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(300);

    // A real user on another address logs in as usual.
    const user = await registerAndLogin(t.app, 'unsprayed');
    const ok = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: user.password }, remoteAddress: '192.0.2.10' });
    expect(ok.statusCode).toBe(200);
  });
});

describe('global login budget over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SEMANTIK_LOGIN_ATTEMPTS_PER_MINUTE: '5' } });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('bounds Argon2 work across all addresses (SEMANTIK_LOGIN_ATTEMPTS_PER_MINUTE)', async () => {
    for (let i = 0; i < 5; i++) expect((await login(t, uniqueName('global'), `198.51.100.${i + 1}`)).status).toBe(401);
    const refused = await login(t, uniqueName('global'), '198.51.100.99');
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toContain('on this server');
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  });
});

describe('LoginRateLimiter', () => {
  const budgets = loginBudgetsFrom({ loginFailuresPerAddress: 3, loginAttemptsPerMinute: 100 });

  function limiterAt(start = 1_000_000) {
    const clock = { now: start };
    return { clock, limiter: new LoginRateLimiter(budgets, () => clock.now) };
  }

  it('refunds successes: an address with many good logins keeps its failure budget', () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 20; i++) {
      limiter.hit(`user${i}`, '10.0.0.1');
      limiter.succeeded('10.0.0.1');
    }
    for (let i = 0; i < 3; i++) limiter.hit(`bad${i}`, '10.0.0.1');
    expect(() => limiter.hit('bad-next', '10.0.0.1')).toThrow(RateLimitedError);
  });

  it('the per-address window reopens after 5 minutes, with Retry-After counting down', () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.hit(`u${i}`, '10.0.0.2');
    clock.now += 60_000;
    let error: unknown;
    try {
      limiter.hit('u-next', '10.0.0.2');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(240);
    clock.now += 240_000;
    expect(() => limiter.hit('u-next', '10.0.0.2')).not.toThrow();
  });

  it('a refused attempt counts nowhere: it does not spend the global budget', () => {
    const clock = { now: 0 };
    const limiter = new LoginRateLimiter(loginBudgetsFrom({ loginFailuresPerAddress: 1, loginAttemptsPerMinute: 2 }), () => clock.now);
    limiter.hit('a', '10.0.0.3');
    for (let i = 0; i < 50; i++) expect(() => limiter.hit(`spray${i}`, '10.0.0.3')).toThrow('from your address');
    limiter.hit('b', '10.0.0.4');
    expect(() => limiter.hit('c', '10.0.0.5')).toThrow('on this server');
  });

  it('the per-account budget (10/min per username and address) still applies first', () => {
    const generous = new LoginRateLimiter(loginBudgetsFrom({ loginFailuresPerAddress: 100, loginAttemptsPerMinute: 100 }));
    for (let i = 0; i < 10; i++) generous.hit('Alice', '10.0.0.6');
    expect(() => generous.hit(' alice ', '10.0.0.6')).toThrow('for this account');
    expect(() => generous.hit('alice', '10.0.0.7')).not.toThrow();
    expect(generous.budgets.perAccountAndAddress).toEqual({ limit: 10, windowMs: 60_000 });
  });
});

describe('SEMANTIK_TRUST_PROXY', () => {
  it('defaults to off (the socket address) and accepts true or a list of proxy addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ SEMANTIK_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ SEMANTIK_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({}).loginFailuresPerAddress).toBe(30);
    expect(loadConfig({}).loginAttemptsPerMinute).toBe(600);
  });
});
