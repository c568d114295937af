import type { Repositories } from '../db/repositories.js';
import type { UserRow } from '../db/schema.js';
import { AlreadyExistsError, ForbiddenError } from '../errors/domain-errors.js';
import type { UserJson } from './user.response-schema.js';

export type { UserJson } from './user.response-schema.js';

export function toUserJson(row: UserRow): UserJson {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    full_name: row.full_name,
    is_active: row.is_active,
    is_superuser: row.is_superuser,
    created_at: row.created_at.toISOString(),
    last_login: row.last_login?.toISOString() ?? null,
  };
}

export interface NewUserInput {
  username: string;
  email: string;
  fullName?: string | null;
  /** Already hashed: hashing (~25 ms) happens before the transaction opens. */
  hashedPassword: string;
  /** Force superuser (CLI `--superuser`); otherwise only the first user becomes one. */
  superuser?: boolean;
  /** Folders this user may index (already checked with checkGrantedDocumentRoots); null = not configured. */
  documentRoots?: string[] | null;
}

/**
 * Creates a user. The registration lock serialises concurrent sign-ups so exactly one "first user"
 * becomes superuser; the unique indexes stay the backstop for duplicates.
 */
export async function createUser(repos: Repositories, input: NewUserInput): Promise<UserRow> {
  await repos.users.lockRegistration();
  const existing = await repos.users.findByUsernameOrEmail(input.username, input.email);
  if (existing) {
    const field = existing.username.toLowerCase() === input.username.toLowerCase() ? 'username' : 'email';
    throw new AlreadyExistsError(`A user with this ${field} already exists`, { field });
  }
  const isFirst = (await repos.users.count()) === 0;
  return repos.users.insert({
    username: input.username,
    email: input.email,
    full_name: input.fullName ?? null,
    hashed_password: input.hashedPassword,
    is_superuser: Boolean(input.superuser) || isFirst,
    document_roots: input.documentRoots ?? null,
  });
}

export const REGISTRATION_CLOSED =
  'Registration is closed on this server: an administrator can create your account (Users page, or `semantik user create`), or open sign-up with SEMANTIK_REGISTRATION=open';

/** What the sign-up page needs to know: whether it may offer "create account". */
export async function registrationStatus(repos: Repositories, registration: 'open' | 'closed'): Promise<{ open: boolean; first_user: boolean }> {
  const firstUser = (await repos.users.count()) === 0;
  return { open: registration === 'open' || firstUser, first_user: firstUser };
}

/**
 * Self-service sign-up (POST /api/auth/register): always allowed for the very first account (it
 * becomes the superuser, so a fresh install works with no configuration), afterwards only when
 * SEMANTIK_REGISTRATION=open. Decided under the registration lock, so two strangers racing an empty
 * database cannot both get in while registration is closed.
 */
export async function registerSelf(repos: Repositories, input: Omit<NewUserInput, 'superuser' | 'documentRoots'>, registration: 'open' | 'closed'): Promise<UserRow> {
  await repos.users.lockRegistration();
  if (registration !== 'open' && (await repos.users.count()) > 0) throw new ForbiddenError(REGISTRATION_CLOSED);
  return createUser(repos, input);
}
