import { useMutation } from '@tanstack/react-query';
import { isOperationActive, type Operation } from '../api/api.types';
import { Button } from '../components/button';
import { StatusBadge } from '../components/status';
import { useToast } from '../components/toast';
import { formatNumber } from '../components/format';
import { cancelOperation } from './operation.api';
import { displayPercentage } from './operation.events';
import { useLiveOperation } from './use-live-operation';

export const operationLabels: Record<string, string> = {
  index: 'Indexing',
  append: 'Adding source',
  reindex: 'Reindexing',
  remove_source: 'Removing source',
  delete: 'Deleting',
};

export function ProgressBar({ percentage, label }: { percentage: number; label: string }) {
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percentage}
      className="h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
    >
      <div className="h-full rounded-full bg-indigo-600 transition-[width] duration-500" style={{ width: `${percentage}%` }} />
    </div>
  );
}

/** Live progress of one operation, with a cancel button while it runs. */
export function OperationProgressPanel({ operation: initial, compact = false }: { operation: Operation; compact?: boolean }) {
  const { operation, transport } = useLiveOperation(initial);
  const toast = useToast();
  const cancel = useMutation({
    mutationFn: () => cancelOperation(operation.id),
    onSuccess: () => toast.success('Operation cancelled.'),
    onError: toast.error,
  });
  const percentage = displayPercentage(operation);
  const active = isOperationActive(operation);
  const progress = operation.progress;
  const label = operationLabels[operation.type] ?? operation.type;

  return (
    <div data-testid="operation-progress" data-operation-id={operation.id} data-status={operation.status} className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="flex items-center gap-2 font-medium">
          {label}
          <StatusBadge status={operation.status} testId="operation-status" />
        </span>
        <span data-testid="operation-percentage" className="tabular-nums">
          {percentage}%
        </span>
      </div>
      <ProgressBar percentage={percentage} label={`${label} progress`} />
      {!compact && (
        <div className="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600 dark:text-slate-400">
          <span data-testid="operation-counts">
            {formatNumber(progress?.processed_files)} of {formatNumber(progress?.total_files)} files processed
            {progress && progress.failed_files > 0 && <>, <span className="text-red-600 dark:text-red-400">{formatNumber(progress.failed_files)} failed</span></>}
          </span>
          {active && transport === 'polling' && <span>Live updates unavailable; checking every 2 s</span>}
        </div>
      )}
      {active && progress?.current_file && (
        <p data-testid="operation-current-file" className="truncate text-xs text-slate-500 dark:text-slate-400" title={progress.current_file}>
          Current file: {progress.current_file}
        </p>
      )}
      {operation.error_message && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {operation.error_message}
        </p>
      )}
      {active && !compact && (
        <Button variant="secondary" size="sm" data-testid="operation-cancel" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
          {cancel.isPending ? 'Cancelling…' : 'Cancel operation'}
        </Button>
      )}
    </div>
  );
}
