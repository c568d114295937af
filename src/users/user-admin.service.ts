import type { Repositories } from '../db/repositories.js';
import type { UserRow, UserUpdate } from '../db/schema.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors/domain-errors.js';
import { toUserJson, type UserJson } from './user.service.js';
import type { AdminUserJson } from './user.response-schema.js';

/**
 * Account administration (admin API, `semantik user …`): the rules live here, the edges only parse.
 * Every change that could remove the last active superuser runs under the registration lock, so two
 * admins demoting each other at once cannot leave the server without one.
 */

export type { AdminUserJson } from './user.response-schema.js';

export function toAdminUserJson(row: UserRow): AdminUserJson {
  return { ...toUserJson(row), document_roots: row.document_roots };
}

/** Superusers only; anyone else gets 403 (they are signed in, so existence is not a secret). */
export function requireSuperuser(user: UserRow): void {
  if (!user.is_superuser) throw new ForbiddenError('Only administrators (superusers) may manage users');
}

export interface UserChanges {
  email?: string;
  fullName?: string | null;
  isActive?: boolean;
  isSuperuser?: boolean;
  /** Already checked with checkGrantedDocumentRoots; null = not configured. */
  documentRoots?: string[] | null;
}

async function refuseRemovingLastAdmin(repos: Repositories, target: UserRow, what: string): Promise<void> {
  if (target.is_superuser && target.is_active && (await repos.users.countOtherActiveSuperusers(target.id)) === 0) {
    throw new ConflictError(`${target.username} is the last active administrator and cannot be ${what}; make another user an administrator first`);
  }
}

/** Ends every way a user is signed in that we can end from here: refresh tokens and API keys. */
async function signOutEverywhere(repos: Repositories, userId: number): Promise<void> {
  await repos.refreshTokens.revokeAllForUser(userId);
  await repos.apiKeys.deactivateAllForUser(userId);
}

export async function updateUserAsAdmin(repos: Repositories, userId: number, changes: UserChanges): Promise<UserRow> {
  await repos.users.lockRegistration();
  const target = await repos.users.getById(userId);
  if (changes.isActive === false) await refuseRemovingLastAdmin(repos, target, 'disabled');
  if (changes.isSuperuser === false) await refuseRemovingLastAdmin(repos, target, 'demoted');
  if (changes.email !== undefined && changes.email.toLowerCase() !== target.email.toLowerCase()) {
    const clash = await repos.users.findByUsernameOrEmail(target.username, changes.email);
    if (clash && clash.id !== target.id) throw new ConflictError('A user with this email already exists');
  }
  const update: UserUpdate = {};
  if (changes.email !== undefined) update.email = changes.email;
  if (changes.fullName !== undefined) update.full_name = changes.fullName;
  if (changes.isActive !== undefined) update.is_active = changes.isActive;
  if (changes.isSuperuser !== undefined) update.is_superuser = changes.isSuperuser;
  if (changes.documentRoots !== undefined) update.document_roots = changes.documentRoots;
  const updated = await repos.users.update(userId, update);
  // Access tokens of a disabled user already fail (every request re-reads is_active); keys and
  // refresh tokens are revoked too, so re-enabling the account does not bring old sessions back.
  if (target.is_active && changes.isActive === false) await signOutEverywhere(repos, userId);
  return updated;
}

/** Admin reset: the new hash replaces the old and every refresh token of the user is revoked. */
export async function resetPasswordAsAdmin(repos: Repositories, userId: number, hashedPassword: string): Promise<UserRow> {
  await repos.users.getById(userId);
  const updated = await repos.users.update(userId, { hashed_password: hashedPassword });
  await repos.refreshTokens.revokeAllForUser(userId);
  return updated;
}

/**
 * Deleting a user never deletes data: a user who still owns collections is refused with 409 naming
 * them (delete or hand them over first). Collections are not transferred automatically because the
 * new owner would silently gain files from folders only the old owner was granted.
 */
export async function deleteUserAsAdmin(repos: Repositories, userId: number): Promise<void> {
  await repos.users.lockRegistration();
  const target = await repos.users.findById(userId);
  if (!target) throw new NotFoundError(`User ${userId} not found`);
  await refuseRemovingLastAdmin(repos, target, 'deleted');
  const owned = await repos.collections.listNamesByOwner(userId);
  if (owned.length > 0) {
    throw new ConflictError(`${target.username} still owns ${owned.length} collection(s): ${owned.join(', ')}; delete them first, or disable the account instead`, {
      collections: owned,
    });
  }
  await repos.users.delete(userId);
}

/** The signed-in user's own change (current password already verified): every refresh token is revoked, they sign in again. */
export async function changeOwnPassword(repos: Repositories, userId: number, hashedPassword: string): Promise<void> {
  await repos.users.update(userId, { hashed_password: hashedPassword });
  await repos.refreshTokens.revokeAllForUser(userId);
}
