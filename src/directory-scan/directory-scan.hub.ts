import { RateLimitedError } from '../errors/domain-errors.js';
import type { DirectoryScanMessage } from './directory-scan.service.js';

/**
 * Who is scanning, and the sockets watching (`/ws/directory-scan/{scan_id}`), in this API process
 * (one per deployment, as the WebSocket tickets). Everything is keyed by the authenticated user:
 * a socket only ever hears its own user's scans, so a guessed scan_id tells nobody else anything.
 *
 * Bounds: one running scan per user, PER_PROCESS at once (each awaits one stat at a time; two
 * leave most of libuv's 4 file-system threads to requests and the worker); per user only the
 * newest scan's last message is kept, for RETAIN_MS, so a socket that connects just after a fast
 * scan still hears how it ended.
 */
const PER_PROCESS = 2;
const RETAIN_MS = 60_000;

type Listener = (message: DirectoryScanMessage) => void;

export interface ScanSlot {
  publish(message: DirectoryScanMessage): void;
  /** Frees the user's slot; the last message stays for RETAIN_MS. */
  release(): void;
}

export class DirectoryScanHub {
  private readonly running = new Set<number>();
  private readonly lastByUser = new Map<number, { scanId: string; message: DirectoryScanMessage; at: number }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Claims the user's one scan slot; RateLimitedError (429) while another scan of theirs, or PER_PROCESS scans, run. */
  start(userId: number, scanId: string): ScanSlot {
    if (this.running.has(userId)) throw new RateLimitedError('You already have a directory scan running; wait for it to finish (at most 10 s)', 10);
    if (this.running.size >= PER_PROCESS) throw new RateLimitedError('The server is running as many directory scans as it allows; retry in a few seconds', 5);
    this.sweep();
    this.running.add(userId);
    this.lastByUser.delete(userId);
    let released = false;
    return {
      publish: (message) => {
        this.lastByUser.set(userId, { scanId, message, at: this.now() });
        for (const listener of this.listeners.get(key(userId, scanId)) ?? []) listener(message);
      },
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(userId);
      },
    };
  }

  /** Listens to one scan of the user; `last` is its latest message when it already started. */
  watch(userId: number, scanId: string, listener: Listener): { last: DirectoryScanMessage | undefined; stop: () => void } {
    const k = key(userId, scanId);
    const set = this.listeners.get(k) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(k, set);
    const kept = this.lastByUser.get(userId);
    const last = kept && kept.scanId === scanId && this.now() - kept.at < RETAIN_MS ? kept.message : undefined;
    return {
      last,
      stop: () => {
        set.delete(listener);
        if (set.size === 0 && this.listeners.get(k) === set) this.listeners.delete(k);
      },
    };
  }

  private sweep(): void {
    const now = this.now();
    for (const [userId, kept] of this.lastByUser) if (now - kept.at >= RETAIN_MS) this.lastByUser.delete(userId);
  }
}

function key(userId: number, scanId: string): string {
  return `${userId}\0${scanId}`;
}

export function isFinalScanMessage(message: DirectoryScanMessage): boolean {
  return message.type === 'completed' || message.type === 'error';
}
