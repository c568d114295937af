import type { Operation, OperationEvent, OperationProgress, OperationStatus } from '../api/api.types';

const statusByEvent: Partial<Record<OperationEvent['type'], OperationStatus>> = {
  operation_started: 'processing',
  operation_completed: 'completed',
  operation_failed: 'failed',
  operation_cancelled: 'cancelled',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeProgress(value: unknown): value is Partial<OperationProgress> {
  return isRecord(value) && ('percentage' in value || 'processed_files' in value || 'total_files' in value);
}

/**
 * Folds one WebSocket message into the operation. The contract says `data` carries the
 * progress and/or the operation, so accept `data.progress`, `data.operation`, a whole
 * operation, or a bare progress object.
 */
export function applyOperationEvent(current: Operation, event: OperationEvent): Operation {
  let next: Operation = { ...current };
  const data = event.data;
  if (isRecord(data)) {
    const embedded = isRecord(data.operation) ? data.operation : 'status' in data && 'type' in data ? data : null;
    if (embedded) next = { ...next, ...(embedded as Partial<Operation>) };
    const progress = looksLikeProgress(data.progress) ? data.progress : looksLikeProgress(data) ? data : null;
    if (progress) next.progress = { ...emptyProgress, ...next.progress, ...progress };
    const error = data.error_message ?? data.error;
    if (typeof error === 'string' && error) next.error_message = error;
  }
  const eventStatus = statusByEvent[event.type];
  if (eventStatus) next.status = eventStatus;
  else if (event.type === 'progress' && next.status === 'pending') next.status = 'processing';
  return next;
}

const emptyProgress: OperationProgress = {
  total_files: 0,
  processed_files: 0,
  failed_files: 0,
  current_file: null,
  percentage: 0,
};

/** Percentage to display, 0..100. A completed operation is 100% even if the last tick was missed. */
/**
 * The completed, file-less `index` operation every create records (`config.initial`) so the original
 * Python web UI's "initial source" flow has an `initial_operation_id` to wait on (docs/api.md). It
 * did no work: our UI never shows it as a collection's current operation (it would read "completed"
 * while the real first index is still being enqueued).
 */
export function isSetupPlaceholder(operation: Operation): boolean {
  return operation.config?.['initial'] === true;
}

export function displayPercentage(operation: Operation): number {
  if (operation.status === 'completed') return 100;
  const progress = operation.progress;
  if (!progress) return 0;
  let percentage = Number(progress.percentage);
  if (!Number.isFinite(percentage) && progress.total_files > 0) {
    percentage = (100 * (progress.processed_files + progress.failed_files)) / progress.total_files;
  }
  if (!Number.isFinite(percentage)) return 0;
  return Math.max(0, Math.min(100, Math.round(percentage)));
}
