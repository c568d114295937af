import type { OperationStatus } from '../db/schema.js';

/**
 * What a running job announces: the messages of the contract's WebSocket `/ws/operations/{id}`.
 * The buses that carry them (in-process, or PostgreSQL NOTIFY) belong to src/operations/; the
 * queue only needs somewhere to publish.
 */
export type OperationEventType = 'operation_started' | 'progress' | 'operation_completed' | 'operation_failed' | 'operation_cancelled';

export interface OperationEvent {
  type: OperationEventType;
  operation_id: string;
  collection_id: string;
  data: {
    status: OperationStatus;
    progress?: {
      total_files: number;
      processed_files: number;
      failed_files: number;
      current_file: string | null;
      percentage: number;
    };
    error_message?: string | null;
  };
}

export interface JobEventPublisher {
  publish(event: OperationEvent): Promise<void>;
}
