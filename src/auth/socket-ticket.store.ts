import { randomBytes } from 'node:crypto';
import { RateLimitedError } from '../errors/domain-errors.js';

/** How long a ticket lives: enough for a browser to open the socket right after asking (~1 round trip). */
export const SOCKET_TICKET_SECONDS = 30;
/** 10,000 live tickets × ~1 KB (ticket + credential) ≈ 10 MB at most, even if a client asks in a loop. */
const MAX_LIVE_TICKETS = 10_000;

/**
 * Short-lived, single-use WebSocket tickets. Browsers cannot set headers on a WebSocket, so the
 * credential would otherwise travel in the URL (`?token=`), where proxies, access logs and the
 * browser history keep it; a ticket in the URL is worthless 30 s later or after its one use.
 * A ticket remembers the credential it was issued for, so the socket re-runs the very same
 * principal check (a logout or key revocation in between is honoured). In memory: the API
 * process that issues tickets is the one serving `/ws` (one API process per deployment).
 */
export class SocketTicketStore {
  private readonly tickets = new Map<string, { credential: string; expiresAt: number }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  issue(credential: string): { ticket: string; expiresInSeconds: number } {
    const now = this.now();
    if (this.tickets.size >= MAX_LIVE_TICKETS) this.sweep(now);
    if (this.tickets.size >= MAX_LIVE_TICKETS) {
      throw new RateLimitedError('Too many WebSocket tickets outstanding; retry shortly', SOCKET_TICKET_SECONDS);
    }
    const ticket = `wst_${randomBytes(32).toString('base64url')}`;
    this.tickets.set(ticket, { credential, expiresAt: now + SOCKET_TICKET_SECONDS * 1000 });
    return { ticket, expiresInSeconds: SOCKET_TICKET_SECONDS };
  }

  /** Takes the ticket out (single use) and returns its credential; undefined when unknown, used or expired. */
  redeem(ticket: string): string | undefined {
    const entry = this.tickets.get(ticket);
    if (!entry) return undefined;
    this.tickets.delete(ticket);
    return entry.expiresAt > this.now() ? entry.credential : undefined;
  }

  private sweep(now: number): void {
    for (const [ticket, entry] of this.tickets) {
      if (entry.expiresAt <= now) this.tickets.delete(ticket);
    }
  }
}
