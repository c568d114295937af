import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Operation } from '../api/api.types';
import { tokenStore } from '../api/token.store';
import { json, mockFetch } from '../test/render';
import { useLiveOperation } from './use-live-operation';

const pending: Operation = {
  id: 'op-1',
  collection_id: 'c1',
  type: 'index',
  status: 'pending',
  config: {},
  error_message: null,
  created_at: '2025-01-01T00:00:00Z',
  started_at: null,
  completed_at: null,
  progress: { total_files: 0, processed_files: 0, failed_files: 0, current_file: null, percentage: 0 },
  result: null,
};

/** Records the sockets the hook opens; a test drives them by calling their handlers. */
class FakeSocket {
  static opened: FakeSocket[] = [];
  onmessage: ((message: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  close() {
    this.closed = true;
  }
}

function renderLive(operation: Operation) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return renderHook(() => useLiveOperation(operation), { wrapper });
}

describe('useLiveOperation', () => {
  it('opens the socket with a single-use ticket, never the access token in the URL', async () => {
    FakeSocket.opened = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    tokenStore.setTokens('secret-access-token', 'refresh');
    const { calls } = mockFetch({ 'POST /api/v2/ws-tickets': json(201, { ticket: 'wst_abc', expires_in: 30 }) });

    const { result, unmount } = renderLive(pending);
    await waitFor(() => expect(FakeSocket.opened).toHaveLength(1));
    const socket = FakeSocket.opened[0]!;
    expect(socket.url).toBe(`ws://${location.host}/ws/operations/op-1?ticket=wst_abc`);
    expect(socket.url).not.toContain('secret-access-token');
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v2/ws-tickets', headers: { Authorization: 'Bearer secret-access-token' } });
    expect(result.current.transport).toBe('socket');

    act(() => {
      socket.onmessage?.({ data: JSON.stringify({ type: 'progress', operation_id: 'op-1', data: { progress: { total_files: 4, processed_files: 2, failed_files: 0, current_file: null, percentage: 50 } } }) });
    });
    expect(result.current.operation).toMatchObject({ status: 'processing', progress: { percentage: 50 } });
    unmount();
    expect(socket.closed).toBe(true);
  });

  it('falls back to polling when no ticket can be had', async () => {
    FakeSocket.opened = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    tokenStore.setTokens('access', 'refresh');
    const { calls } = mockFetch({
      'POST /api/v2/ws-tickets': json(503, { detail: 'down', code: 'unavailable' }),
      'GET /api/v2/operations/op-1': json(200, { ...pending, status: 'processing' }),
    });
    const { result, unmount } = renderLive(pending);
    await waitFor(() => expect(result.current.transport).toBe('polling'));
    await waitFor(() => expect(result.current.operation.status).toBe('processing'));
    expect(FakeSocket.opened).toHaveLength(0);
    expect(calls.some((call) => call.path === '/api/v2/operations/op-1')).toBe(true);
    unmount();
  });
});
