import type { Database } from '../db/database.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { UnauthorizedError } from '../errors/domain-errors.js';
import type { UserRow } from '../db/schema.js';
import type { TokenPairJson } from './auth.response-schema.js';
import type { Principal } from '../access/principal.js';
import { newRefreshToken, sha256Hex, type AccessTokens } from './jwt.tokens.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './password.hasher.js';

export type { TokenPairJson } from './auth.response-schema.js';

/**
 * A new refresh row and an access token bound to its session. A login starts a session; a
 * refresh continues the rotated row's one (`sessionId`), so access tokens issued before the
 * rotation stay valid until their `exp` — a client's requests in flight during a refresh do not
 * fail, and do not send it into a second refresh that reuse detection would punish.
 */
async function issueTokens(repos: Repositories, tokens: AccessTokens, user: UserRow, sessionId?: string): Promise<TokenPairJson> {
  const refresh = newRefreshToken();
  const row = await repos.refreshTokens.insert({
    user_id: user.id,
    token_hash: refresh.hash,
    expires_at: tokens.refreshExpiry(),
    ...(sessionId ? { session_id: sessionId } : {}),
  });
  return { access_token: await tokens.sign(user.id, row.session_id), refresh_token: refresh.token, token_type: 'bearer' };
}

const BAD_CREDENTIALS = 'Incorrect username or password';

/**
 * Login in three steps so no transaction is held during password hashing (~25 ms of CPU; in
 * embedded mode an open transaction blocks every other request): read the user, verify (and
 * rehash a legacy bcrypt hash) outside any transaction, then one unit of work stamps last_login,
 * stores the new hash and the refresh token together.
 */
export async function login(database: Database, tokens: AccessTokens, username: string, password: string): Promise<TokenPairJson> {
  const user = await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.findByUsername(username), { readOnly: true });
  if (!user) {
    await verifyAgainstDummy(password);
    throw new UnauthorizedError(BAD_CREDENTIALS);
  }
  if (!(await verifyPassword(user.hashed_password, password))) throw new UnauthorizedError(BAD_CREDENTIALS);
  if (!user.is_active) throw new UnauthorizedError('This account is disabled; ask an administrator');
  const upgradedHash = needsRehash(user.hashed_password) ? await hashPassword(password) : undefined;
  return inUnitOfWork(database, async (tx) => {
    const repos = repositoriesFor(tx);
    const updated = await repos.users.update(user.id, {
      last_login: new Date(),
      // Only replace the hash we verified: a password change in between must win.
      ...(upgradedHash ? { hashed_password: upgradedHash } : {}),
    });
    return issueTokens(repos, tokens, updated);
  });
}

type RefreshOutcome = { kind: 'ok'; tokens: TokenPairJson } | { kind: 'reused' } | { kind: 'invalid'; reason: string };

/**
 * Rotation: the presented token is revoked and a new pair issued in one transaction, with the row
 * locked so two concurrent refreshes cannot both succeed. A token that was already revoked being
 * presented again means it leaked (or a client raced itself): every refresh token of that user is
 * revoked — committed before answering 401.
 */
export async function refresh(database: Database, tokens: AccessTokens, refreshToken: string): Promise<TokenPairJson> {
  const outcome = await inUnitOfWork(database, async (tx): Promise<RefreshOutcome> => {
    const repos = repositoriesFor(tx);
    const row = await repos.refreshTokens.lockByHash(sha256Hex(refreshToken));
    if (!row) return { kind: 'invalid', reason: 'Invalid refresh token' };
    if (row.is_revoked) {
      await repos.refreshTokens.revokeAllForUser(row.user_id);
      return { kind: 'reused' };
    }
    if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid', reason: 'Refresh token expired; log in again' };
    const user = await repos.users.findById(row.user_id);
    if (!user || !user.is_active) return { kind: 'invalid', reason: 'User not found or inactive' };
    await repos.refreshTokens.revoke(row.id);
    return { kind: 'ok', tokens: await issueTokens(repos, tokens, user, row.session_id) };
  });
  if (outcome.kind === 'ok') return outcome.tokens;
  if (outcome.kind === 'reused') throw new UnauthorizedError('Refresh token already used or revoked; all sessions of this user were signed out');
  throw new UnauthorizedError(outcome.reason);
}

/**
 * Ends the session of the given refresh token and the session of the access token the caller
 * logged out with (usually the same one): every access token of those sessions is refused from
 * the next request on. Unknown or foreign refresh tokens are ignored (idempotent).
 */
export async function logout(repos: Repositories, principal: Principal, refreshToken: string): Promise<void> {
  const userId = principal.user.id;
  const row = await repos.refreshTokens.lockByHash(sha256Hex(refreshToken));
  if (row && row.user_id === userId) await repos.refreshTokens.revokeSession(userId, row.session_id);
  if (principal.sessionId && principal.sessionId !== row?.session_id) await repos.refreshTokens.revokeSession(userId, principal.sessionId);
}
