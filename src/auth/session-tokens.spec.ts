import { decodeJwt, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { call, createTestApp, registerAndLogin, TEST_JWT_SECRET, type TestApp, type TestUser } from '../../test/support/test-app.js';

/** Access tokens are bound to their login session (`sid`) and must carry `exp`. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.dispose();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (token: string) => call(t.app, undefined, { method: 'GET', url: '/api/auth/me', headers: bearer(token) });
const collections = (token: string) => call(t.app, undefined, { method: 'GET', url: '/api/v2/collections', headers: bearer(token) });

async function loginAgain(user: TestUser): Promise<{ access: string; refresh: string }> {
  const res = await call(t.app, undefined, { method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: user.password } });
  expect(res.status).toBe(200);
  return { access: res.body.access_token, refresh: res.body.refresh_token };
}

async function refresh(refreshToken: string) {
  return call(t.app, undefined, { method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: refreshToken } });
}

function signWithTheServerKey(claims: Record<string, unknown>, expiresIn?: string): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (expiresIn) jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

describe('session-bound access tokens', () => {
  it('logout ends the session: the same access token answers 401 on the next request; another session of the user is untouched', async () => {
    const user = await registerAndLogin(t.app, 'logout-access');
    const laptop = await loginAgain(user);
    expect((await me(user.access)).status).toBe(200);

    const out = await call(t.app, user, { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: user.refresh } });
    expect(out.status).toBe(200);

    const after = await me(user.access);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ code: 'unauthorized', detail: expect.stringContaining('Session ended') });
    expect((await collections(user.access)).status).toBe(401);
    expect((await me(laptop.access)).status).toBe(200);
  });

  it('logout with the access token of one session and the refresh token of another ends both', async () => {
    const user = await registerAndLogin(t.app, 'logout-both');
    const other = await loginAgain(user);
    const out = await call(t.app, user, { method: 'POST', url: '/api/auth/logout', payload: { refresh_token: other.refresh } });
    expect(out.status).toBe(200);
    expect((await me(user.access)).status).toBe(401);
    expect((await me(other.access)).status).toBe(401);
    expect((await refresh(user.refresh)).status).toBe(401);
  });

  it('rotation keeps the session: the access token from before a refresh still works, and logout with the new refresh token ends both', async () => {
    const user = await registerAndLogin(t.app, 'rotation');
    const rotated = await refresh(user.refresh);
    expect(rotated.status).toBe(200);
    expect(decodeJwt(rotated.body.access_token).sid).toBe(decodeJwt(user.access).sid);
    expect((await me(user.access)).status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);

    const out = await call(t.app, undefined, {
      method: 'POST',
      url: '/api/auth/logout',
      headers: bearer(rotated.body.access_token),
      payload: { refresh_token: rotated.body.refresh_token },
    });
    expect(out.status).toBe(200);
    expect((await me(user.access)).status).toBe(401);
    expect((await me(rotated.body.access_token)).status).toBe(401);
  });

  it('refresh-token reuse detection ends every session of the user: all their access tokens answer 401', async () => {
    const user = await registerAndLogin(t.app, 'reuse');
    const phone = await loginAgain(user);
    const rotated = await refresh(user.refresh);
    expect(rotated.status).toBe(200);
    expect((await me(phone.access)).status).toBe(200);

    expect((await refresh(user.refresh)).status).toBe(401); // the stolen, already rotated token
    for (const token of [user.access, rotated.body.access_token, phone.access]) {
      expect((await me(token)).status).toBe(401);
    }
    // Someone else's sessions are not affected.
    const bystander = await registerAndLogin(t.app, 'bystander');
    expect((await me(bystander.access)).status).toBe(200);
  });

  it('revokeAllForUser (password change or reset) ends the access tokens too; an expired session row ends its tokens', async () => {
    const user = await registerAndLogin(t.app, 'revoke-all');
    await inUnitOfWork(t.testDb.database, (tx) => repositoriesFor(tx).refreshTokens.revokeAllForUser(user.id));
    expect((await me(user.access)).status).toBe(401);

    const again = await loginAgain(user);
    expect((await me(again.access)).status).toBe(200);
    await inUnitOfWork(t.testDb.database, (tx) =>
      sql`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = ${decodeJwt(again.access).sid as string}`.execute(tx),
    );
    expect((await me(again.access)).status).toBe(401);
  });

  it('a token signed with the real key but without exp is 401; the same claims with exp are accepted', async () => {
    const user = await registerAndLogin(t.app, 'no-exp');
    const { sid } = decodeJwt(user.access);
    const claims = { type: 'access', sid, sub: String(user.id) };
    const withExp = await signWithTheServerKey(claims, '5m');
    expect((await me(withExp)).status).toBe(200);

    const noExp = await signWithTheServerKey(claims);
    expect(decodeJwt(noExp).exp).toBeUndefined();
    const refused = await me(noExp);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');
    const noSub = await signWithTheServerKey({ type: 'access', sid }, '5m');
    expect((await me(noSub)).status).toBe(401);
  });

  it('a pre-upgrade token without sid is refused; the refresh token of that login still yields a bound pair', async () => {
    const user = await registerAndLogin(t.app, 'legacy-token');
    const legacy = await signWithTheServerKey({ type: 'access', sub: String(user.id) }, '30m');
    const refused = await me(legacy);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain('POST /api/auth/refresh');
    const rotated = await refresh(user.refresh);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);
  });
});
