import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { backoffMs } from './unit-of-work.js';
import type { Logger } from '../shared/logger.js';

/** Channels Semantik listens on, with their statements spelled out: LISTEN takes no parameters. */
const LISTEN_STATEMENTS = {
  semantik_operations_queued: 'LISTEN semantik_operations_queued',
  semantik_operation_events: 'LISTEN semantik_operation_events',
} as const;
export type ListenChannel = keyof typeof LISTEN_STATEMENTS;

/**
 * A dedicated connection that LISTENs on channels. Not from the pool: a pooled client goes back
 * to other users between queries and would drop the subscription; and it would hold one of the
 * pool's connections forever. Reconnects with back-off when the server restarts; notifications
 * sent while disconnected are lost, which is why every user of it also polls.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private closed = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly channels: readonly ListenChannel[],
    private readonly onNotification: (channel: string, payload: string) => void,
    private readonly logger: Logger,
    /** Called after every (re)connect: subscribers may have missed notifications meanwhile. */
    private readonly onReconnect?: () => void,
  ) {}

  /** Resolves once listening (the first connection is awaited so start-up errors surface). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'semantik-listener', keepAlive: true });
    client.on('notification', (message) => this.onNotification(message.channel, message.payload ?? ''));
    client.on('error', (err) => {
      this.logger.warn({ err }, 'LISTEN connection error; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    await client.connect();
    for (const channel of this.channels) await client.query(LISTEN_STATEMENTS[channel]);
    this.client = client;
  }

  private reconnect(failed: pg.Client): void {
    if (this.closed || this.client !== failed || this.connecting) return;
    this.client = undefined;
    failed.removeAllListeners('end');
    failed.end().catch(() => {});
    this.connecting = (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        await sleep(backoffMs(attempt, 200, 10_000));
        if (this.closed) return;
        try {
          await this.connect();
          this.onReconnect?.();
          return;
        } catch (err) {
          this.logger.warn({ err, attempt }, 'LISTEN reconnect failed');
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
    await this.connecting?.catch(() => {});
  }
}
