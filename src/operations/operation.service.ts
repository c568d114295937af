import type { OperationRow, OperationType } from '../db/schema.js';
import type { Repositories } from '../db/repositories.js';
import type { Tx } from '../db/unit-of-work.js';
import { AlreadyExistsError, ConflictError } from '../errors/domain-errors.js';
import { parseJobPayload } from '../jobs/job.registry.js';
import { OperationQueueRepository } from '../jobs/operation-queue.repository.js';
import { operationPayloadSchemas, type OperationPayloadOf } from '../indexing/job-payloads.js';

export interface NewOperationRequest<T extends OperationType> {
  collectionId: string;
  userId: number | null;
  type: T;
  /** Typed by the registry's schema for `type`; parsed here too (a ValidationError, 422, names the field). */
  config: OperationPayloadOf<T>;
  maxAttempts?: number;
}

/**
 * Enqueues an operation — which is also its job: the queue is the `operations` table, so the row and
 * the job commit or roll back together in the caller's unit of work (the Python original dispatched
 * after commit and left operations stuck in pending). The NOTIFY is delivered only on commit.
 */
export async function enqueueOperation<T extends OperationType>(tx: Tx, repos: Repositories, request: NewOperationRequest<T>): Promise<OperationRow> {
  const config = parseJobPayload(operationPayloadSchemas, request.type, request.config);
  const collection = await repos.collections.lockById(request.collectionId);
  const active = await repos.operations.findActiveForCollection(collection.id);
  if (active) {
    throw new ConflictError(`Collection "${collection.name}" already has an active ${active.type} operation (${active.id}); wait for it or cancel it`, {
      operation_id: active.id,
    });
  }
  let operation: OperationRow;
  try {
    operation = await repos.operations.insert({
      collection_id: collection.id,
      user_id: request.userId,
      type: request.type,
      config: config as Record<string, unknown>,
      ...(request.maxAttempts ? { max_attempts: request.maxAttempts } : {}),
    });
  } catch (err) {
    // The partial unique index is the backstop for races the lock above cannot see.
    if (err instanceof AlreadyExistsError || (err as { code?: string }).code === '23505') {
      throw new ConflictError(`Collection "${collection.name}" already has an active operation`);
    }
    throw err;
  }
  await new OperationQueueRepository(tx).notifyQueued(operation.id);
  return operation;
}

/**
 * Cancels a pending or processing operation. The row flips to `cancelled` at once; a worker that is
 * processing it sees the flag at its next batch boundary and stops (each batch is its own commit,
 * so what was written stays consistent).
 */
export async function cancelOperation(repos: Repositories, operationId: string): Promise<OperationRow> {
  const operation = await repos.operations.lockById(operationId);
  if (operation.status !== 'pending' && operation.status !== 'processing') {
    throw new ConflictError(`Operation ${operationId} already ended (${operation.status}); nothing to cancel`);
  }
  await repos.operations.requestCancel(operationId);
  return repos.operations.markStatus(operationId, 'cancelled', { completed_at: new Date() });
}
