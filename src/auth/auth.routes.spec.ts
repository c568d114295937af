import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createTestApp, registerAndLogin, type TestApp } from '../../test/support/test-app.js';
import { uniqueName } from '../../test/support/test-databases.js';

let t: TestApp;

// Sign-up open: these tests pin the contract's register behaviour; closed registration (the
// default) is covered in src/users/user-admin.routes.spec.ts.
beforeAll(async () => {
  t = await createTestApp({ env: { SEMANTIK_REGISTRATION: 'open' } });
});
afterAll(async () => {
  await t?.dispose();
});

async function userRow(username: string) {
  return inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).users.findByUsername(username));
}

describe('auth routes', () => {
  it('register → login → me; the first user is superuser, later ones are not; passwords are argon2id', async () => {
    const first = await registerAndLogin(t.app, 'first');
    const second = await registerAndLogin(t.app, 'second');
    const me1 = await call(t.app, first, { method: 'GET', url: '/api/auth/me' });
    expect(me1.status).toBe(200);
    expect(me1.body).toMatchObject({ id: first.id, username: first.username, is_superuser: true, is_active: true });
    expect(me1.body.last_login).toEqual(expect.any(String));
    expect(me1.body.hashed_password).toBeUndefined();
    const me2 = await call(t.app, second, { method: 'GET', url: '/api/auth/me' });
    expect(me2.body).toMatchObject({ username: second.username, is_superuser: false });
    expect((await userRow(second.username))!.hashed_password).toMatch(/^\$argon2id\$/);
  });

  it('register answers 201 with the contract fields, 409 on duplicate username or email, 422 on bad input', async () => {
    const username = uniqueName('dup').replace(/[^\w.@-]/g, '_');
    const body = { username, email: `${username}@example.test`, password: 'long-enough-pw', full_name: 'Dup User' };
    const created = await call(t.app, undefined, { method: 'POST', url: '/api/auth/register', payload: body });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['created_at', 'email', 'full_name', 'id', 'is_active', 'is_superuser', 'last_login', 'username']);
    const sameName = await call(t.app, undefined, { method: 'POST', url: '/api/auth/register', payload: { ...body, email: `other-${body.email}` } });
    expect(sameName.status).toBe(409);
    expect(sameName.body.code).toBe('already_exists');
    const sameEmail = await call(t.app, undefined, { method: 'POST', url: '/api/auth/register', payload: { ...body, username: `${username}x`, email: body.email.toUpperCase() } });
    expect(sameEmail.status).toBe(409);
    const bad = await call(t.app, undefined, { method: 'POST', url: '/api/auth/register', payload: { username: 'ok_name', email: 'not-an-email', password: 'short' } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('validation_error');
    expect(bad.body.errors.map((e: { loc: string[] }) => e.loc.at(-1)).sort()).toEqual(['email', 'password']);
  });

  it('login with a wrong password or unknown user is 401 with the same message', async () => {
    const user = await registerAndLogin(t.app, 'wrongpw');
    const wrong = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: 'nope-nope' } });
    const unknown = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username: `${user.username}-ghost`, password: 'nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.code).toBe('unauthorized');
  });

  it('refresh rotates: the new pair works, the old refresh token is 401 and its reuse revokes the whole family', async () => {
    const user = await registerAndLogin(t.app, 'rotate');
    const first = await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: user.refresh } });
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('bearer');
    expect(first.body.refresh_token).not.toBe(user.refresh);
    const me = await call(t.app, undefined, { method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect(me.status).toBe(200);

    const reused = await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: user.refresh } });
    expect(reused.status).toBe(401);
    // Reuse detection: the token issued by the legitimate rotation is revoked too.
    const afterReuse = await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: first.body.refresh_token } });
    expect(afterReuse.status).toBe(401);
    const garbage = await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: 'not-a-token' } });
    expect(garbage.status).toBe(401);
  });

  it('logout revokes the refresh token', async () => {
    const user = await registerAndLogin(t.app, 'logout');
    const out = await call(t.app, user, { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: user.refresh } });
    expect(out.status).toBe(200);
    expect(out.body.message).toEqual(expect.any(String));
    const refreshed = await call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: user.refresh } });
    expect(refreshed.status).toBe(401);
    const anonymous = await call(t.app, undefined, { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: user.refresh } });
    expect(anonymous.status).toBe(401);
  });

  it('protected routes refuse missing, malformed, forged and refresh-typed tokens with 401', async () => {
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/auth/me' })).status).toBe(401);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections' })).status).toBe(401);
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwidHlwZSI6ImFjY2VzcyJ9.c2lnbmF0dXJl';
    const res = await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'unauthorized' });
    const basic = await call(t.app, undefined, { method: 'GET', url: '/api/auth/me', headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);
  });

  it('a deactivated user is refused on the next request', async () => {
    const user = await registerAndLogin(t.app, 'deact');
    await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).users.update(user.id, { is_active: false }));
    expect((await call(t.app, user, { method: 'GET', url: '/api/auth/me' })).status).toBe(401);
  });

  it('verifies a legacy bcrypt hash and rehashes it to argon2id on login', async () => {
    const username = uniqueName('legacy').replace(/[^\w.@-]/g, '_');
    const legacyHash = await bcrypt.hash('legacy-password', 4);
    expect(legacyHash).toMatch(/^\$2[aby]\$/);
    await inUnitOfWork(t.testDb.database, (tx) =>
      repositoriesFor(tx).users.insert({ username, email: `${username}@example.test`, hashed_password: legacyHash }),
    );
    const bad = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username, password: 'wrong-password' } });
    expect(bad.status).toBe(401);
    expect((await userRow(username))!.hashed_password).toBe(legacyHash);
    const ok = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username, password: 'legacy-password' } });
    expect(ok.status).toBe(200);
    const rehashed = (await userRow(username))!.hashed_password;
    expect(rehashed).toMatch(/^\$argon2id\$/);
    const again = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username, password: 'legacy-password' } });
    expect(again.status).toBe(200);
  });

  it('rate-limits logins per username and IP with 429 and Retry-After', async () => {
    const username = uniqueName('limited');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username, password: 'whatever' } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(last!.body.code).toBe('rate_limited');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    // Another username from the same address is not affected.
    const other = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username: `${username}-other`, password: 'whatever' } });
    expect(other.status).toBe(401);
  });
});
