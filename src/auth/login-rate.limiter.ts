import type { AppConfig } from '../config/config.js';
import { RateLimitedError } from '../errors/domain-errors.js';

/** At most `limit` attempts per fixed window of `windowMs`. */
export interface LoginBudget {
  limit: number;
  windowMs: number;
}

export interface LoginBudgets {
  /** Guessing one account's password from one address. Every attempt counts. */
  perAccountAndAddress: LoginBudget;
  /**
   * Password spraying: one address, one password, many usernames. Only failures count (a success is
   * refunded), so an office behind one NAT address can log in all morning; 30 failures per 5 min
   * let one address try ~8,600 guesses a day across all accounts instead of unlimited.
   */
  failuresPerAddress: LoginBudget;
  /**
   * Argon2 CPU for the whole server: each attempt costs one verification (~25 ms on the 2-core
   * bench machine), so 600 per minute = 10/s ≈ 0.25 core-second per second, an eighth of the
   * machine. Spent only by many addresses at once; it then delays logins (never refreshes or
   * requests with a token) until the minute ends.
   */
  global: LoginBudget;
}

/** The budgets of a server: per account 10/min; the other two limits from the environment (defaults 30 and 600). */
export function loginBudgetsFrom(config: Pick<AppConfig, 'loginFailuresPerAddress' | 'loginAttemptsPerMinute'>): LoginBudgets {
  return {
    perAccountAndAddress: { limit: 10, windowMs: 60_000 },
    failuresPerAddress: { limit: config.loginFailuresPerAddress, windowMs: 5 * 60_000 },
    global: { limit: config.loginAttemptsPerMinute, windowMs: 60_000 },
  };
}

/** Windows kept before expired ones are swept; a spray of usernames cannot grow the map unbounded. */
const SWEEP_THRESHOLD = 10_000;

class FixedWindowCounter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly budget: LoginBudget,
    private readonly now: () => number,
  ) {}

  /** Seconds until the window of `key` has room again, or 0 when it has room now. */
  retryAfterSeconds(key: string): number {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.budget.windowMs || window.count < this.budget.limit) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.budget.windowMs - now) / 1000));
  }

  consume(key: string): void {
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.startedAt < this.budget.windowMs) {
      window.count += 1;
      return;
    }
    this.windows.set(key, { startedAt: now, count: 1 });
    this.sweep(now);
  }

  /** Gives back one attempt of the current window (a successful login is not a failure). */
  refund(key: string): void {
    const window = this.windows.get(key);
    if (window && this.now() - window.startedAt < this.budget.windowMs && window.count > 0) window.count -= 1;
  }

  private sweep(now: number): void {
    if (this.windows.size < SWEEP_THRESHOLD) return;
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.budget.windowMs) this.windows.delete(key);
    }
  }
}

const GLOBAL_KEY = '*';

/**
 * Login budgets per (username, address), per address (failures) and for the whole server, in
 * fixed windows. An attempt is admitted only if all three have room, and then counts in all three;
 * a refused attempt costs no Argon2 and counts nowhere, so it cannot spend anyone else's budget.
 * The address is `request.ip`: the socket peer unless SEMANTIK_TRUST_PROXY names the proxy, since
 * behind an untrusted proxy every client would share the proxy's address and its budget.
 * In memory: one API process per deployment is the supported shape; behind several processes the
 * limits are per process, which still bounds guessing.
 */
export class LoginRateLimiter {
  private readonly perAccount: FixedWindowCounter;
  private readonly perAddress: FixedWindowCounter;
  private readonly global: FixedWindowCounter;

  constructor(
    readonly budgets: LoginBudgets,
    now: () => number = Date.now,
  ) {
    this.perAccount = new FixedWindowCounter(budgets.perAccountAndAddress, now);
    this.perAddress = new FixedWindowCounter(budgets.failuresPerAddress, now);
    this.global = new FixedWindowCounter(budgets.global, now);
  }

  /** Records an attempt before the password is verified; throws RateLimitedError (429) when a budget is spent. */
  hit(username: string, ip: string): void {
    const accountKey = `${username.trim().toLowerCase()}\u0000${ip}`;
    const refusal =
      refusalOf(this.perAccount.retryAfterSeconds(accountKey), 'Too many login attempts for this account from your address') ??
      refusalOf(this.perAddress.retryAfterSeconds(ip), 'Too many failed logins from your address') ??
      refusalOf(this.global.retryAfterSeconds(GLOBAL_KEY), 'Too many logins on this server right now');
    if (refusal) throw refusal;
    this.perAccount.consume(accountKey);
    this.perAddress.consume(ip);
    this.global.consume(GLOBAL_KEY);
  }

  /** After a successful login: the attempt was not a failure of this address. */
  succeeded(ip: string): void {
    this.perAddress.refund(ip);
  }
}

function refusalOf(retryAfterSeconds: number, reason: string): RateLimitedError | undefined {
  return retryAfterSeconds > 0 ? new RateLimitedError(`${reason}; retry in ${retryAfterSeconds} s`, retryAfterSeconds) : undefined;
}
