import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

/**
 * Argon2id with OWASP's minimum profile (m = 19 MiB, t = 2, p = 1): ~25 ms per hash on the 2-core
 * bench machine, slow enough for offline guessing, fast enough that login is not a DoS lever
 * (logins are also rate-limited). The library's default algorithm is Argon2id; the `$argon2id$`
 * prefix is asserted by the auth tests.
 */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Users migrated from the Python/SQLite installs carry bcrypt hashes ($2a$/$2b$/$2y$). */
const BCRYPT_PREFIX = /^\$2[aby]\$/;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2_OPTIONS);
}

export function isLegacyBcryptHash(stored: string): boolean {
  return BCRYPT_PREFIX.test(stored);
}

/** Whether a stored hash should be replaced by a fresh Argon2id hash after a successful login. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$');
}

/** Verifies against Argon2 or legacy bcrypt hashes; anything unparseable is simply "no match". */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    if (isLegacyBcryptHash(stored)) return await bcrypt.compare(password, stored);
    if (stored.startsWith('$argon2')) return await argon2Verify(stored, password);
    return false;
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real verification, so "unknown user" and "wrong password" cannot be
 * told apart by response time.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword('semantik-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
