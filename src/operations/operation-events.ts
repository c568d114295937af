import { EventEmitter } from 'node:events';
import type { JobEventPublisher, OperationEvent, OperationEventType } from '../jobs/job-events.js';

export type { OperationEvent, OperationEventType } from '../jobs/job-events.js';

export type OperationEventListener = (event: OperationEvent) => void;

/**
 * Fan-out of operation progress. Embedded mode: in-process. Server mode: PostgreSQL LISTEN/NOTIFY,
 * so an API process sees the events of a worker in another process.
 */
export interface OperationEventBus extends JobEventPublisher {
  /** `operationId` '*' receives every event. Returns the unsubscribe function. */
  subscribe(operationId: string, listener: OperationEventListener): () => void;
  close(): Promise<void>;
}

export class InProcessOperationEventBus implements OperationEventBus {
  protected readonly emitter = new EventEmitter();

  constructor() {
    // Many WebSocket clients may watch one operation; the default limit of 10 would warn.
    this.emitter.setMaxListeners(0);
  }

  async publish(event: OperationEvent): Promise<void> {
    this.deliver(event);
  }

  protected deliver(event: OperationEvent): void {
    this.emitter.emit(event.operation_id, event);
    this.emitter.emit('*', event);
  }

  subscribe(operationId: string, listener: OperationEventListener): () => void {
    this.emitter.on(operationId, listener);
    return () => this.emitter.off(operationId, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export function isTerminalEvent(type: OperationEventType): boolean {
  return type === 'operation_completed' || type === 'operation_failed' || type === 'operation_cancelled';
}
