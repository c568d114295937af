import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Database } from '../db/database.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import type { Logger } from '../shared/logger.js';
import { markSourceDue } from './source-sync.service.js';

export interface SourceWatcherOptions {
  /** Quiet time after the last event before the source is marked due (a copy of 1,000 files is one sync). */
  debounceMs?: number;
  /** How often the set of watched sources is re-read (a PATCH `watch: true` is picked up within this). */
  refreshMs?: number;
  /** Called once a source's watcher has walked its folder and reports changes (tests wait for it). */
  onWatching?: (sourceId: number) => void;
}

/** 2 s: an editor's save (write + rename) or a `cp -r` burst settles well within it. */
const DEFAULT_DEBOUNCE_MS = 2_000;
const DEFAULT_REFRESH_MS = 30_000;

interface Watched {
  sourcePath: string;
  watcher: FSWatcher;
  timer?: NodeJS.Timeout;
}

/**
 * Opt-in folder watching (`watch: true` on a source): chokidar events, debounced per source, mark
 * the source due (`next_sync_at = now()`); the worker's schedule claim then enqueues one sync (the
 * stat shortcut makes it cost a walk, not a re-read). Where watching fails (inotify limits,
 * network mounts that send no events) the error is logged, the watcher is dropped and the
 * source's schedule still applies.
 */
export class SourceWatchers {
  private readonly watched = new Map<number, Watched>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly debounceMs: number;
  private readonly refreshMs: number;
  private readonly onWatching: ((sourceId: number) => void) | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    /** Called after a source was marked due (wakes the worker's loop). */
    private readonly onDue: () => void,
    options: SourceWatcherOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.onWatching = options.onWatching;
  }

  async start(): Promise<void> {
    await this.refresh().catch((err: unknown) => this.logger.warn({ err }, 'could not read watched sources; retrying'));
    const tick = () => {
      this.refreshTimer = setTimeout(() => {
        this.refresh()
          .catch((err: unknown) => this.logger.warn({ err }, 'could not refresh watched sources'))
          .finally(() => {
            if (!this.closed) tick();
          });
      }, this.refreshMs);
      this.refreshTimer.unref();
    };
    tick();
  }

  /** Starts watchers for sources newly marked `watch`, closes those no longer marked (or removed). */
  async refresh(): Promise<void> {
    const rows = await inUnitOfWork(
      this.database,
      (tx) => repositoriesFor(tx).sources.listWatched(),
      { readOnly: true },
    );
    if (this.closed) return;
    const wanted = new Map(rows.map((r) => [Number(r.id), r.source_path]));
    for (const [id, entry] of this.watched) {
      if (wanted.get(id) !== entry.sourcePath) await this.unwatch(id);
    }
    for (const [id, sourcePath] of wanted) if (!this.watched.has(id)) this.watchSource(id, sourcePath);
  }

  private watchSource(id: number, sourcePath: string): void {
    const watcher = watch(sourcePath, {
      ignoreInitial: true,
      // Dot entries are never indexed (the scanner skips them); .git churns constantly.
      ignored: (p: string) => p !== sourcePath && path.basename(p).startsWith('.'),
    });
    const entry: Watched = { sourcePath, watcher };
    this.watched.set(id, entry);
    watcher.on('all', () => {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => void this.markDue(id), this.debounceMs);
    });
    watcher.on('ready', () => this.onWatching?.(id));
    watcher.on('error', (err: unknown) => {
      this.logger.warn({ err, sourceId: id, sourcePath }, 'folder watching failed; the source is synced by its schedule only');
      void this.unwatch(id);
    });
  }

  private async markDue(id: number): Promise<void> {
    try {
      await inUnitOfWork(this.database, (tx) => markSourceDue(tx, id));
      this.onDue();
    } catch (err) {
      this.logger.warn({ err, sourceId: id }, 'could not mark a watched source due');
    }
  }

  private async unwatch(id: number): Promise<void> {
    const entry = this.watched.get(id);
    if (!entry) return;
    this.watched.delete(id);
    clearTimeout(entry.timer);
    await entry.watcher.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refreshTimer);
    await Promise.all([...this.watched.keys()].map((id) => this.unwatch(id)));
  }
}
