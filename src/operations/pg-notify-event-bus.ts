import { sql } from 'kysely';
import type { AppConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { InProcessOperationEventBus, type OperationEvent, type OperationEventBus } from './operation-events.js';
import { PgListener } from '../db/pg-listener.js';

export const OPERATION_EVENTS_CHANNEL = 'semantik_operation_events';

/** PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; stay clear of it. */
export const MAX_EVENT_PAYLOAD_BYTES = 7_900;

/**
 * Server mode: events go through PostgreSQL NOTIFY, so an API process sees the progress of a
 * worker in any other process. Publishing is a NOTIFY over the pool; every process (the
 * publisher included) receives events on its dedicated LISTEN connection and fans them out
 * in-process, so local subscribers see exactly one copy.
 */
export class PgNotifyOperationEventBus extends InProcessOperationEventBus {
  private constructor(
    private readonly database: Database,
    private listener: PgListener | undefined,
  ) {
    super();
  }

  static async connect(connectionString: string, database: Database, logger: Logger): Promise<PgNotifyOperationEventBus> {
    const bus = new PgNotifyOperationEventBus(database, undefined);
    const listener = new PgListener(
      connectionString,
      [OPERATION_EVENTS_CHANNEL],
      (_channel, payload) => {
        const event = decodeEvent(payload);
        if (event) bus.deliver(event);
        else logger.warn({ payload: payload.slice(0, 200) }, 'ignoring malformed operation event');
      },
      logger,
    );
    await listener.start();
    bus.listener = listener;
    return bus;
  }

  override async publish(event: OperationEvent): Promise<void> {
    await sql`SELECT pg_notify(${OPERATION_EVENTS_CHANNEL}, ${encodeEvent(event)})`.execute(this.database.db);
  }

  override async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
    await super.close();
  }
}

/** JSON of the event, with long free-text fields cut so the payload fits in a NOTIFY. */
export function encodeEvent(event: OperationEvent): string {
  let json = JSON.stringify(event);
  if (Buffer.byteLength(json) <= MAX_EVENT_PAYLOAD_BYTES) return json;
  const trimmed: OperationEvent = structuredClone(event);
  if (trimmed.data.error_message) trimmed.data.error_message = `${trimmed.data.error_message.slice(0, 2_000)}…`;
  if (trimmed.data.progress?.current_file) trimmed.data.progress.current_file = `…${trimmed.data.progress.current_file.slice(-1_000)}`;
  json = JSON.stringify(trimmed);
  if (Buffer.byteLength(json) <= MAX_EVENT_PAYLOAD_BYTES) return json;
  // Multi-byte text can still overflow: drop the free text entirely rather than lose the event.
  if (trimmed.data.error_message) trimmed.data.error_message = 'error message too long; see the operation';
  if (trimmed.data.progress) trimmed.data.progress.current_file = null;
  return JSON.stringify(trimmed);
}

function decodeEvent(payload: string): OperationEvent | undefined {
  try {
    const event = JSON.parse(payload) as OperationEvent;
    return typeof event?.operation_id === 'string' && typeof event.type === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The event bus for this process: LISTEN/NOTIFY against a server, in-process for the embedded
 * database (one process owns it, so every publisher and subscriber is here).
 */
export async function createOperationEventBus(config: AppConfig, database: Database, logger?: Logger): Promise<OperationEventBus> {
  if (database.kind === 'server' && config.databaseUrl) {
    return PgNotifyOperationEventBus.connect(config.databaseUrl, database, logger ?? createLogger(config.logLevel, { component: 'operation-events' }));
  }
  return new InProcessOperationEventBus();
}
