import type { Repositories } from '../db/repositories.js';
import type { UserRow } from '../db/schema.js';
import { AlreadyExistsError } from '../errors/domain-errors.js';

export interface UserJson {
  id: number;
  username: string;
  email: string;
  full_name: string | null;
  is_active: boolean;
  is_superuser: boolean;
  created_at: string;
  last_login: string | null;
}

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
  });
}
