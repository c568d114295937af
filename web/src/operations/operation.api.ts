import { request } from '../api/api.client';
import type { Operation, OperationList } from '../api/api.types';

export const operationKeys = {
  all: ['operations'] as const,
  recent: () => ['operations', 'recent'] as const,
  detail: (id: string) => ['operations', 'detail', id] as const,
};

export function getOperation(id: string): Promise<Operation> {
  return request<Operation>(`/api/v2/operations/${encodeURIComponent(id)}`);
}

export function listRecentOperations(): Promise<OperationList> {
  return request<OperationList>('/api/v2/operations', { query: { page: 1, per_page: 100 } });
}

export function cancelOperation(id: string): Promise<Operation> {
  return request<Operation>(`/api/v2/operations/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
