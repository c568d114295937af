import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ConfigError, type AppConfig } from '../config/config.js';
import { UnauthorizedError } from '../errors/domain-errors.js';

const SECRET_FILE = 'jwt-secret';
/** HS256 wants a key at least as long as the hash (32 bytes); shorter explicit keys are refused. */
const MIN_SECRET_LENGTH = 32;

/**
 * The signing key: JWT_SECRET_KEY, else (outside production) a random key generated on first start
 * and kept in `$SEMANTIK_DATA_DIR/jwt-secret` (mode 0600) so tokens survive restarts.
 */
export function resolveJwtSecret(config: AppConfig): string {
  if (config.jwtSecretKey) {
    if (config.jwtSecretKey.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(`JWT_SECRET_KEY is too short (${config.jwtSecretKey.length} characters); use at least ${MIN_SECRET_LENGTH}, e.g. \`openssl rand -hex 32\``);
    }
    return config.jwtSecretKey;
  }
  if (config.env === 'production') {
    throw new ConfigError('JWT_SECRET_KEY must be set when NODE_ENV=production (generate one with `openssl rand -hex 32`).');
  }
  const file = path.join(config.dataDir, SECRET_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= MIN_SECRET_LENGTH) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    // 'wx': two processes starting at once must not overwrite each other's key.
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Opaque refresh tokens: 32 random bytes; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256Hex(token) };
}

/** What a valid access token says: whose it is and which login session it belongs to. */
export interface AccessClaims {
  userId: number;
  /** `refresh_tokens.session_id` of the login; the token is only good while that session is alive. */
  sessionId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Issues and checks HS256 access tokens (`sub` = user id, `sid` = login session, `type` =
 * 'access'). `exp` is required: a token without one would never expire, so one signed by mistake
 * (or by an old tool) must not become a permanent credential.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly accessTokenMinutes: number,
    readonly refreshTokenDays: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  static fromConfig(config: AppConfig): AccessTokens {
    return new AccessTokens(resolveJwtSecret(config), config.accessTokenMinutes, config.refreshTokenDays);
  }

  sign(userId: number, sessionId: string): Promise<string> {
    return new SignJWT({ type: 'access', sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(userId))
      .setIssuedAt()
      .setExpirationTime(`${this.accessTokenMinutes}m`)
      .sign(this.key);
  }

  /** Any bad, expired, exp-less, session-less or non-access token is 401. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      const userId = Number(payload.sub);
      if (payload.type !== 'access' || !Number.isSafeInteger(userId) || userId <= 0) throw new UnauthorizedError('Invalid access token');
      // Tokens issued before sessions were bound carry no `sid`: refused (at most
      // ACCESS_TOKEN_EXPIRE_MINUTES of them exist at the upgrade); the refresh token still works.
      if (typeof payload.sid !== 'string' || !UUID.test(payload.sid)) {
        throw new UnauthorizedError('Access token has no session; refresh it with POST /api/auth/refresh or log in again');
      }
      return { userId, sessionId: payload.sid };
    } catch (err) {
      if (err instanceof UnauthorizedError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Access token expired; refresh it with POST /api/auth/refresh');
      throw new UnauthorizedError('Invalid access token');
    }
  }

  /** Whether a bearer credential is shaped like a JWT (three base64url parts) rather than an API key. */
  static looksLikeJwt(token: string): boolean {
    return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
  }

  refreshExpiry(now = new Date()): Date {
    return new Date(now.getTime() + this.refreshTokenDays * 86_400_000);
  }
}
