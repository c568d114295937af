import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { OPERATION_STATUSES } from '../db/schema.js';

/**
 * Prometheus metrics of one app (own registry, so tests can build several apps per process).
 * Pool and operation gauges are computed at scrape time, never on the request path.
 */
export class HttpMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status_code'>;
  readonly duration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(database: Database, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'semantik_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'semantik_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route', 'status_code'],
      // 2.5 ms … 10 s: list/get routes sit at 2–20 ms on the bench; sources/reindex may take longer.
      buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    const pool = (name: string, help: string, pick: (s: ReturnType<Database['poolStats']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(database.poolStats()));
        },
      });
    pool('semantik_db_pool_in_use', 'Database connections checked out', (s) => s.inUse);
    pool('semantik_db_pool_idle', 'Idle database connections', (s) => s.idle);
    pool('semantik_db_pool_waiting', 'Requests waiting for a database connection', (s) => s.waiting);
    pool('semantik_db_pool_max', 'Maximum database connections (DB_POOL_SIZE + DB_MAX_OVERFLOW)', (s) => s.max);
    new Gauge({
      name: 'semantik_operations',
      help: 'Operations by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const rows = await inUnitOfWork(database, (tx) => repositoriesFor(tx).operations.countByStatus(), { readOnly: true, retries: 0 });
        const counts = new Map(rows.map((r) => [r.status, r.count]));
        for (const status of OPERATION_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'semantik_' });
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}
