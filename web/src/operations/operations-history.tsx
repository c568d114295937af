import type { Operation } from '../api/api.types';
import { formatDate } from '../components/format';
import { EmptyState } from '../components/status';
import { StatusBadge } from '../components/status';
import { operationLabels } from './operation-progress';
import { displayPercentage } from './operation.events';

export function OperationsHistory({ operations }: { operations: Operation[] }) {
  if (operations.length === 0) {
    return <EmptyState title="No operations yet">Adding a source starts the first indexing operation.</EmptyState>;
  }
  return (
    <div className="overflow-x-auto">
      <table data-testid="operations-table" className="w-full text-left text-sm">
        <thead className="text-xs text-slate-500 uppercase dark:text-slate-400">
          <tr>
            <th scope="col" className="py-2 pr-4">Operation</th>
            <th scope="col" className="py-2 pr-4">Status</th>
            <th scope="col" className="py-2 pr-4">Progress</th>
            <th scope="col" className="py-2 pr-4">Started</th>
            <th scope="col" className="py-2">Finished</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {operations.map((operation) => (
            <tr key={operation.id} data-testid="operation-row">
              <td className="py-2 pr-4">
                {operationLabels[operation.type] ?? operation.type}
                {operation.error_message && <p className="text-xs text-red-600 dark:text-red-400">{operation.error_message}</p>}
              </td>
              <td className="py-2 pr-4">
                <StatusBadge status={operation.status} />
              </td>
              <td className="py-2 pr-4 tabular-nums">{displayPercentage(operation)}%</td>
              <td className="py-2 pr-4 whitespace-nowrap">{formatDate(operation.started_at ?? operation.created_at)}</td>
              <td className="py-2 whitespace-nowrap">{formatDate(operation.completed_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
