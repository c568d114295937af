import { RateLimitedError } from '../errors/domain-errors.js';

/**
 * Fixed-window limit on login attempts per (username, client IP): 10 per minute by default. Every
 * attempt counts, not only failures, because each one costs an Argon2 verification (~25 ms of CPU).
 * In memory: one API process per deployment is the supported shape; behind several processes the
 * limit is per process, which still bounds guessing.
 */
export class LoginRateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    readonly maxAttempts = 10,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an attempt; throws RateLimitedError (429) once the window's budget is spent. */
  hit(username: string, ip: string): void {
    const key = `${username.trim().toLowerCase()}\u0000${ip}`;
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      this.windows.set(key, { startedAt: now, count: 1 });
      this.sweep(now);
      return;
    }
    window.count += 1;
    if (window.count > this.maxAttempts) {
      const retryAfter = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
      throw new RateLimitedError(`Too many login attempts for this account from your address; retry in ${retryAfter} s`, retryAfter);
    }
  }

  /** Drops expired windows so the map cannot grow without bound under a spray of usernames. */
  private sweep(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) this.windows.delete(key);
    }
  }
}
