import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';
import type { OperationMetricRow } from '../db/schema.js';

export class OperationMetricRepository {
  constructor(private readonly tx: Tx) {}

  /** One statement for any number of metrics: INSERT … SELECT FROM unnest(names[], values[]). */
  async insertMany(operationId: string, metrics: Record<string, number>): Promise<void> {
    const names = Object.keys(metrics);
    if (names.length === 0) return;
    const values = names.map((name) => metrics[name] as number);
    await sql`
      INSERT INTO operation_metrics (operation_id, metric_name, metric_value)
      SELECT ${operationId}::uuid, m.name, m.value
      FROM unnest(${names}::text[], ${values}::double precision[]) AS m(name, value)`.execute(this.tx);
  }

  listByOperation(operationId: string): Promise<OperationMetricRow[]> {
    return this.tx.selectFrom('operation_metrics').selectAll().where('operation_id', '=', operationId).orderBy('recorded_at').orderBy('id').execute();
  }
}
