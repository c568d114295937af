import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';

/**
 * What a test file left running: open sockets (a pg pool or client not closed, a server not
 * closed), child processes, worker threads, timers, PGlite instances. Node names ref'd handles
 * (`process.getActiveResourcesInfo()`), but not workers, unref'd timers or PGlite (WASM, no handle),
 * so those are tracked from their creation, each with the place that created it.
 */
export interface Leak {
  kind: 'socket' | 'server' | 'child process' | 'worker thread' | 'timer' | 'PGlite' | 'handle';
  description: string;
}

export interface ResourceSnapshot {
  handles: Set<unknown>;
  resourceCounts: Map<string, number>;
  trackedBefore: number;
}

interface Tracked {
  id: number;
  kind: Leak['kind'];
  what: string;
  site: Error;
  isOpen(): boolean;
}

/**
 * Resources that outlive a test file by design, each with why; matched against the description.
 * Empty: the fork's own channel to vitest (stdio pipes, IPC) is open before the baseline and so
 * never counts. An entry here is a leak the check can no longer see.
 */
const ALLOWED: { pattern: RegExp; why: string }[] = [];

let nextId = 1;
const tracked = new Map<number, Tracked>();
let installed = false;

/**
 * Where the resource was made: the first stack frame outside node internals and node_modules.
 * The Error is captured at creation but its text only formatted for a leak: formatting (with
 * source maps) is what costs, ~250 µs a timer here against ~5 µs to capture.
 */
function captureSite(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 20;
  const site = new Error();
  Error.stackTraceLimit = limit;
  return site;
}

function describeSite(site: Error): string {
  const frames = (site.stack ?? '').split('\n').slice(1).map((line) => line.trim());
  const own = frames.find((frame) => !/node:|node_modules|resource-leaks\.ts/.test(frame));
  return (own ?? frames.find((frame) => !/resource-leaks\.ts/.test(frame)) ?? 'unknown').replace(/^at /, '');
}

function track(kind: Leak['kind'], what: string, isOpen: () => boolean): Tracked {
  const entry = { id: nextId++, kind, what, site: captureSite(), isOpen };
  tracked.set(entry.id, entry);
  // Bound the table: forget closed entries once it grows (a file may create 100k timers).
  if (tracked.size > 5000) for (const [id, t] of tracked) if (!t.isOpen()) tracked.delete(id);
  return entry;
}

type TimerWithState = NodeJS.Timeout & { _destroyed?: boolean };

/**
 * Installs the trackers once per process (vitest runs each file in a fork that loads this first):
 * timers through the global functions and `node:timers`, worker threads through a subclass put in
 * place of `node:worker_threads`' export (syncBuiltinESMExports makes ESM imports see it), PGlite
 * through the `waitReady` promise its constructor assigns.
 */
export function installResourceTrackers(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);

  const timers = require('node:timers') as typeof import('node:timers');
  const wrapTimer = <F extends typeof setTimeout | typeof setInterval>(original: F, name: string): F =>
    function (this: unknown, ...args: Parameters<F>) {
      const timer = (original as (...a: unknown[]) => TimerWithState).apply(this, args);
      const delay = Number(args[1] ?? 0);
      // A timeout shorter than the settle period has fired before the check looks: not tracked
      // (most timeouts are short: pg's and fastify's, sleeps in retry loops).
      if (name === 'setTimeout' && !(delay >= 1000)) return timer;
      track('timer', `${name}(…, ${Number.isFinite(delay) ? delay : 0} ms)`, () => timer._destroyed !== true);
      return timer;
    } as unknown as F;
  const patchedTimeout = wrapTimer(globalThis.setTimeout, 'setTimeout');
  const patchedInterval = wrapTimer(globalThis.setInterval, 'setInterval');
  Object.assign(patchedTimeout, { [Symbol.for('nodejs.util.promisify.custom')]: (globalThis.setTimeout as unknown as Record<symbol, unknown>)[Symbol.for('nodejs.util.promisify.custom')] });
  globalThis.setTimeout = patchedTimeout;
  globalThis.setInterval = patchedInterval;
  timers.setTimeout = patchedTimeout;
  timers.setInterval = patchedInterval;

  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const OriginalWorker = threads.Worker;
  class TrackedWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      let exited = false;
      this.once('exit', () => (exited = true));
      track('worker thread', `Worker(${String(args[0]).slice(0, 120)})`, () => !exited);
    }
  }
  threads.Worker = TrackedWorker;
  syncBuiltinESMExports();

  Object.defineProperty(PGlite.prototype, 'waitReady', {
    configurable: true,
    set(this: PGlite, ready: Promise<void>) {
      Object.defineProperty(this, 'waitReady', { value: ready, writable: true, configurable: true });
      const dataDir = (this as unknown as { dataDir?: string }).dataDir;
      track('PGlite', `PGlite(${dataDir ?? 'in memory'})`, () => !this.closed);
    },
  });
}

const activeHandles = (): unknown[] => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();

export function takeSnapshot(): ResourceSnapshot {
  const resourceCounts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) resourceCounts.set(name, (resourceCounts.get(name) ?? 0) + 1);
  return { handles: new Set(activeHandles()), resourceCounts, trackedBefore: nextId };
}

/** Everything open now that was not open at `baseline`, minus the allow-list. */
export function findLeaks(baseline: ResourceSnapshot): Leak[] {
  const leaks: Leak[] = [];
  for (const entry of tracked.values()) {
    if (entry.id < baseline.trackedBefore || !entry.isOpen()) continue;
    leaks.push({ kind: entry.kind, description: `${entry.what} created at ${describeSite(entry.site)}` });
  }
  for (const handle of activeHandles()) {
    if (baseline.handles.has(handle)) continue;
    leaks.push(describeHandle(handle));
  }
  // Ref'd resources Node counts but neither list above names (a timer from a module that kept its
  // own reference to setTimeout, an fs.watch): reported by type and count.
  const now = takeSnapshot().resourceCounts;
  const namedTimers = leaks.filter((l) => l.kind === 'timer').length;
  const extraTimers = (now.get('Timeout') ?? 0) - (baseline.resourceCounts.get('Timeout') ?? 0) - namedTimers;
  if (extraTimers > 0) leaks.push({ kind: 'timer', description: `${extraTimers} more pending timer(s) (Timeout) not created through setTimeout/setInterval` });
  for (const type of ['FSEventWrap', 'StatWatcher', 'UDPWrap', 'SignalWrap']) {
    const extra = (now.get(type) ?? 0) - (baseline.resourceCounts.get(type) ?? 0);
    if (extra > 0) leaks.push({ kind: 'handle', description: `${extra} × ${type}` });
  }
  return leaks.filter((leak) => !ALLOWED.some((allowed) => allowed.pattern.test(leak.description)));
}

function describeHandle(handle: unknown): Leak {
  const name = (handle as object)?.constructor?.name ?? typeof handle;
  if (name === 'ChildProcess') {
    const child = handle as ChildProcess;
    return { kind: 'child process', description: `pid ${child.pid}: ${child.spawnargs.join(' ').slice(0, 160)}` };
  }
  if (name === 'Server') {
    const address = (handle as Server).address();
    return { kind: 'server', description: `listening on ${typeof address === 'string' ? address : `${address?.address}:${address?.port}`}` };
  }
  if (name === 'Socket' || name === 'TLSSocket') {
    const socket = handle as Socket & { _type?: string; fd?: number };
    if (socket.remotePort !== undefined) {
      const postgres = socket.remotePort === 5432 ? ' (PostgreSQL: a pg pool, client or LISTEN connection not closed)' : '';
      return { kind: 'socket', description: `TCP ${socket.localAddress}:${socket.localPort} → ${socket.remoteAddress}:${socket.remotePort}${postgres}` };
    }
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    const stdio = fd === 0 ? 'stdin' : fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : `fd ${fd}`;
    return { kind: 'socket', description: `pipe ${stdio}` };
  }
  return { kind: 'handle', description: name };
}

/**
 * Closing is asynchronous (a socket's 'close', a child's exit after kill, a worker's exit after
 * terminate land a tick or more after the call that asked for them): re-check every 20 ms for up to
 * `settleMs` before calling what is left a leak. A real leak never goes away, so only a failing
 * file waits the whole time.
 */
export async function leaksAfterSettling(baseline: ResourceSnapshot, settleMs = 2000): Promise<Leak[]> {
  let leaks = findLeaks(baseline);
  for (let waited = 0; leaks.length > 0 && waited < settleMs; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    leaks = findLeaks(baseline);
  }
  return leaks;
}

export function formatLeaks(leaks: readonly Leak[]): string {
  return leaks.map((leak) => `  - ${leak.kind}: ${leak.description}`).join('\n');
}
