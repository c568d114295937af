import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/test-databases.js';
import { call, createCollectionVia, createTestApp, registerAndLogin, type TestApp, type TestUser } from '../../test/support/test-app.js';

/** Accounts and sign-up (issue 15 items 2 and 6) over HTTP, real PostgreSQL, default configuration. */
let t: TestApp;
let admin: TestUser;
let member: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await registerAndLogin(t.app, 'admin');
  member = await registerAndLogin(t.app, 'member');
});
afterAll(async () => {
  await t?.dispose();
});

const fresh = (prefix: string) => {
  const username = uniqueName(prefix).replace(/[^\w.@-]/g, '_');
  return { username, email: `${username}@example.test`, password: `pw-${username}` };
};
const login = (username: string, password: string) => call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username, password } });
const refresh = (token: string) => call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: token } });

async function createViaAdmin(body: Record<string, unknown> = {}) {
  const account = fresh('made');
  const res = await call(t.app, admin, { method: 'POST', url: '/api/v2/admin/users', payload: { ...account, ...body } });
  expect(res.status).toBe(201);
  const tokens = (await login(account.username, account.password)).body as { access_token: string; refresh_token: string };
  const user: TestUser = { ...account, id: res.body.id as number, access: tokens.access_token, refresh: tokens.refresh_token, auth: { authorization: `Bearer ${tokens.access_token}` } };
  return { ...user, email: account.email, tokens };
}

describe('registration', () => {
  it('is closed by default once the first account exists: 403 with the fix; GET /api/auth/registration tells the UI', async () => {
    const res = await call(t.app, undefined, { method: 'POST', url: '/api/auth/register', payload: fresh('stranger') });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(res.body.detail).toMatch(/registration is closed/i);
    expect(res.body.detail).toMatch(/administrator can create/i);
    const status = await call(t.app, undefined, { method: 'GET', url: '/api/auth/registration' });
    expect(status).toMatchObject({ status: 200, body: { open: false, first_user: false } });
  });

  it('the first account can always register (and becomes superuser); SEMANTIK_REGISTRATION=open lets anyone in', async () => {
    const open = await createTestApp({ env: { SEMANTIK_REGISTRATION: 'open' } });
    const closed = await createTestApp();
    try {
      expect((await call(closed.app, undefined, { method: 'GET', url: '/api/auth/registration' })).body).toEqual({ open: true, first_user: true });
      const first = await call(closed.app, undefined, { method: 'POST', url: '/api/auth/register', payload: fresh('first') });
      expect(first).toMatchObject({ status: 201, body: { is_superuser: true } });
      expect((await call(closed.app, undefined, { method: 'POST', url: '/api/auth/register', payload: fresh('second') })).status).toBe(403);

      expect((await call(open.app, undefined, { method: 'POST', url: '/api/auth/register', payload: fresh('first') })).status).toBe(201);
      const second = await call(open.app, undefined, { method: 'POST', url: '/api/auth/register', payload: fresh('second') });
      expect(second).toMatchObject({ status: 201, body: { is_superuser: false } });
      expect((await call(open.app, undefined, { method: 'GET', url: '/api/auth/registration' })).body).toEqual({ open: true, first_user: false });
    } finally {
      await open.dispose();
      await closed.dispose();
    }
  });
});

describe('admin user management', () => {
  it('is for superusers only: 403 for everyone else, before anything is read or written', async () => {
    const target = await createViaAdmin();
    const attempts = [
      { method: 'GET' as const, url: '/api/v2/admin/users' },
      { method: 'POST' as const, url: '/api/v2/admin/users', payload: fresh('sneaky') },
      { method: 'PATCH' as const, url: `/api/v2/admin/users/${target.id}`, payload: { is_superuser: true } },
      { method: 'POST' as const, url: `/api/v2/admin/users/${target.id}/password`, payload: { new_password: 'taken-over-pw' } },
      { method: 'DELETE' as const, url: `/api/v2/admin/users/${target.id}` },
    ];
    for (const attempt of attempts) {
      const res = await call(t.app, member, attempt);
      expect(res.status, `${attempt.method} ${attempt.url}`).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    expect((await login(target.username, target.password)).status).toBe(200);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/admin/users' })).status).toBe(401);
  });

  it("needs a signed-in session: even a superuser's API key cannot administer accounts", async () => {
    const key = await call(t.app, admin, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'admin-script' } });
    expect(key.status).toBe(201);
    const viaKey = (attempt: { method: 'GET' | 'POST'; url: string; payload?: Record<string, unknown> }) =>
      call(t.app, undefined, { ...attempt, headers: { 'x-api-key': key.body.key } });
    const listed = await viaKey({ method: 'GET', url: '/api/v2/admin/users' });
    expect(listed.status).toBe(403);
    expect(listed.body.detail).toMatch(/signed-in session/);
    const account = fresh('minted');
    expect((await viaKey({ method: 'POST', url: '/api/v2/admin/users', payload: { ...account, is_superuser: true } })).status).toBe(403);
    expect((await login(account.username, account.password)).status).toBe(401);
    // The same key still reads what its user may read.
    expect((await viaKey({ method: 'GET', url: '/api/v2/collections' })).status).toBe(200);
  });

  it('lists, creates (with document roots inside SEMANTIK_DOCUMENT_ROOTS only) and edits accounts', async () => {
    const outside = await call(t.app, admin, { method: 'POST', url: '/api/v2/admin/users', payload: { ...fresh('out'), document_roots: ['/etc'] } });
    expect(outside.status).toBe(422);
    expect(outside.body.detail).toMatch(/outside the server's document roots/);
    const dotted = await call(t.app, admin, { method: 'POST', url: '/api/v2/admin/users', payload: { ...fresh('dots'), document_roots: [`${t.documentRoot}/../etc`] } });
    expect(dotted.status).toBe(422);

    const made = await createViaAdmin({ document_roots: [`${t.documentRoot}/team`], full_name: 'Made Up' });
    const list = await call(t.app, admin, { method: 'GET', url: '/api/v2/admin/users' });
    expect(list.status).toBe(200);
    expect(list.body.users.find((u: { id: number }) => u.id === made.id)).toMatchObject({
      username: made.username,
      full_name: 'Made Up',
      is_superuser: false,
      is_active: true,
      document_roots: [`${t.documentRoot}/team`],
    });
    expect(list.body.users[0].hashed_password).toBeUndefined();

    const edited = await call(t.app, admin, {
      method: 'PATCH',
      url: `/api/v2/admin/users/${made.id}`,
      payload: { full_name: 'Renamed', email: `new-${made.email}`, document_roots: null, is_superuser: true },
    });
    expect(edited).toMatchObject({ status: 200, body: { full_name: 'Renamed', email: `new-${made.email}`, document_roots: null, is_superuser: true } });
    // Back to one administrator: the last-admin test below counts on it.
    expect((await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${made.id}`, payload: { is_superuser: false } })).status).toBe(200);
    const clash = await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${made.id}`, payload: { email: `${member.username}@example.test` } });
    expect(clash.status).toBe(409);
    expect((await call(t.app, admin, { method: 'PATCH', url: '/api/v2/admin/users/999999', payload: { is_active: true } })).status).toBe(404);
    expect((await call(t.app, admin, { method: 'PATCH', url: '/api/v2/admin/users/abc', payload: { is_active: true } })).status).toBe(404);
    const duplicate = await call(t.app, admin, { method: 'POST', url: '/api/v2/admin/users', payload: { ...fresh('x'), username: made.username } });
    expect(duplicate.status).toBe(409);
  });

  it('disabling ends every way in: login, refresh, access token and API key are refused; enabling lets the password in again, not the old key', async () => {
    const user = await createViaAdmin();
    const key = await call(t.app, undefined, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'laptop' }, headers: user.auth });
    expect(key.status).toBe(201);
    const keyAuth = { 'x-api-key': key.body.key as string };
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: keyAuth })).status).toBe(200);

    const disabled = await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${user.id}`, payload: { is_active: false } });
    expect(disabled).toMatchObject({ status: 200, body: { is_active: false } });
    expect((await login(user.username, user.password)).status).toBe(401);
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/auth/me', headers: user.auth })).status).toBe(401);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: keyAuth })).status).toBe(401);

    await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${user.id}`, payload: { is_active: true } });
    expect((await login(user.username, user.password)).status).toBe(200);
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
    expect((await call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: keyAuth })).status).toBe(401);
  });

  it('resetting a password replaces it and revokes the refresh tokens', async () => {
    const user = await createViaAdmin();
    const reset = await call(t.app, admin, { method: 'POST', url: `/api/v2/admin/users/${user.id}/password`, payload: { new_password: 'brand-new-password' } });
    expect(reset.status).toBe(204);
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
    expect((await login(user.username, user.password)).status).toBe(401);
    expect((await login(user.username, 'brand-new-password')).status).toBe(200);
    const short = await call(t.app, admin, { method: 'POST', url: `/api/v2/admin/users/${user.id}/password`, payload: { new_password: 'short' } });
    expect(short.status).toBe(422);
  });

  it('the last active administrator cannot disable, demote or delete themselves; with a second one they can', async () => {
    for (const attempt of [
      { method: 'PATCH' as const, url: `/api/v2/admin/users/${admin.id}`, payload: { is_active: false } },
      { method: 'PATCH' as const, url: `/api/v2/admin/users/${admin.id}`, payload: { is_superuser: false } },
      { method: 'DELETE' as const, url: `/api/v2/admin/users/${admin.id}` },
    ]) {
      const res = await call(t.app, admin, attempt);
      expect(res.status, `${attempt.method} ${JSON.stringify(attempt.payload)}`).toBe(409);
      expect(res.body.detail).toMatch(/last active administrator/);
    }
    // A disabled superuser does not count as a second administrator.
    const dormant = await createViaAdmin({ is_superuser: true });
    await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${dormant.id}`, payload: { is_active: false } });
    expect((await call(t.app, admin, { method: 'PATCH', url: `/api/v2/admin/users/${admin.id}`, payload: { is_superuser: false } })).status).toBe(409);

    const second = await createViaAdmin({ is_superuser: true });
    const demoted = await call(t.app, second, { method: 'PATCH', url: `/api/v2/admin/users/${admin.id}`, payload: { is_superuser: false } });
    expect(demoted).toMatchObject({ status: 200, body: { is_superuser: false } });
    expect((await call(t.app, second, { method: 'PATCH', url: `/api/v2/admin/users/${second.id}`, payload: { is_superuser: false } })).status).toBe(409);
    expect((await call(t.app, second, { method: 'PATCH', url: `/api/v2/admin/users/${admin.id}`, payload: { is_superuser: true } })).status).toBe(200);
  });

  it('deleting a user who owns collections is refused with 409 naming them; once they are gone the account goes', async () => {
    const user = await createViaAdmin({ document_roots: [t.documentRoot] });
    const owned = await createCollectionVia(t.app, user);
    const refused = await call(t.app, admin, { method: 'DELETE', url: `/api/v2/admin/users/${user.id}` });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(owned.name);
    expect((await call(t.app, admin, { method: 'DELETE', url: `/api/v2/collections/${owned.id}` })).status).toBe(204);
    expect((await call(t.app, admin, { method: 'DELETE', url: `/api/v2/admin/users/${user.id}` })).status).toBe(204);
    expect((await login(user.username, user.password)).status).toBe(401);
    expect((await call(t.app, admin, { method: 'DELETE', url: `/api/v2/admin/users/${user.id}` })).status).toBe(404);
  });
});

describe('password change', () => {
  it('needs the current password, answers 204 and signs every session out (refresh tokens revoked)', async () => {
    const user = await createViaAdmin();
    const otherSession = (await login(user.username, user.password)).body as { refresh_token: string };
    const url = '/api/auth/password';
    const wrong = await call(t.app, undefined, { method: 'POST', url, headers: user.auth, payload: { current_password: 'not-it-at-all', new_password: 'another-long-pw' } });
    expect(wrong.status).toBe(422);
    expect((await call(t.app, undefined, { method: 'POST', url, payload: { current_password: user.password, new_password: 'another-long-pw' } })).status).toBe(401);

    const key = await call(t.app, undefined, { method: 'POST', url: '/api/v2/api-keys', payload: { name: 'script' }, headers: user.auth });
    const viaKey = await call(t.app, undefined, { method: 'POST', url, headers: { 'x-api-key': key.body.key }, payload: { current_password: user.password, new_password: 'another-long-pw' } });
    expect(viaKey.status).toBe(403);

    const changed = await call(t.app, undefined, { method: 'POST', url, headers: user.auth, payload: { current_password: user.password, new_password: 'another-long-pw' } });
    expect(changed.status).toBe(204);
    expect((await refresh(user.tokens.refresh_token)).status).toBe(401);
    expect((await refresh(otherSession.refresh_token)).status).toBe(401);
    expect((await login(user.username, user.password)).status).toBe(401);
    expect((await login(user.username, 'another-long-pw')).status).toBe(200);
  });
});
