import { request } from '../api/api.client';
import type { Operation, OperationList, SocketTicket } from '../api/api.types';

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

/**
 * A single-use ticket for the progress socket, so no token travels in the WebSocket URL (browsers
 * cannot set headers on a WebSocket). Goes through `request`, so an expired access token is
 * refreshed first.
 */
export function createSocketTicket(): Promise<SocketTicket> {
  return request<SocketTicket>('/api/v2/ws-tickets', { method: 'POST' });
}
