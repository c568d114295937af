import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { isOperationActive, type Operation, type OperationEvent } from '../api/api.types';
import { tokenStore } from '../api/token.store';
import { collectionKeys } from '../collections/collection.api';
import { createSocketTicket, getOperation, operationKeys } from './operation.api';
import { applyOperationEvent } from './operation.events';

const POLL_INTERVAL_MS = 2000;

export type LiveTransport = 'socket' | 'polling' | 'idle';

export function socketUrl(operationId: string, ticket: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/operations/${encodeURIComponent(operationId)}?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * Follows an operation until it ends: WebSocket first (opened with a single-use ticket, never
 * the token), polling GET /api/v2/operations/{id} every 2 s if no ticket can be had or the
 * socket cannot open or drops early. When it ends, every collection and
 * operation query is invalidated so dashboards refresh without a reload.
 */
export function useLiveOperation(initial: Operation): { operation: Operation; transport: LiveTransport } {
  const queryClient = useQueryClient();
  const [operation, setOperation] = useState(initial);
  const [transport, setTransport] = useState<LiveTransport>('idle');
  const active = isOperationActive(operation);
  const operationId = initial.id;
  const wasActive = useRef(isOperationActive(initial));

  // Adopt fresher data from the parent (a refetch) unless we already know the operation ended.
  useEffect(() => {
    setOperation((previous) => {
      if (previous.id !== initial.id) return initial;
      if (!isOperationActive(initial)) return initial;
      return isOperationActive(previous) ? { ...initial, ...previous } : previous;
    });
  }, [initial]);

  useEffect(() => {
    if (!active) {
      if (wasActive.current) {
        wasActive.current = false;
        void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
        void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      }
      return;
    }
    wasActive.current = true;

    let disposed = false;
    let socket: WebSocket | null = null;
    let pollTimer: ReturnType<typeof setInterval> | null = null;

    const startPolling = () => {
      if (disposed || pollTimer) return;
      setTransport('polling');
      const poll = async () => {
        try {
          const fresh = await getOperation(operationId);
          if (!disposed) setOperation(fresh);
        } catch {
          // Keep polling: a transient error should not freeze the progress bar.
        }
      };
      void poll();
      pollTimer = setInterval(poll, POLL_INTERVAL_MS);
    };

    const openSocket = (ticket: string) => {
      if (disposed) return;
      try {
        socket = new WebSocket(socketUrl(operationId, ticket));
        setTransport('socket');
        socket.onmessage = (message) => {
          try {
            const event = JSON.parse(String(message.data)) as OperationEvent;
            if (event.operation_id && event.operation_id !== operationId) return;
            setOperation((current) => applyOperationEvent(current, event));
          } catch {
            // Ignore a malformed frame; the next one carries the full progress again.
          }
        };
        // A socket that errors or closes while the operation still runs hands over to polling;
        // the poll also picks up the final state if the end message was missed.
        socket.onerror = startPolling;
        socket.onclose = startPolling;
      } catch {
        startPolling();
      }
    };

    if (tokenStore.getAccessToken() && typeof WebSocket !== 'undefined') {
      createSocketTicket().then(
        (issued) => openSocket(issued.ticket),
        () => startPolling(),
      );
    } else {
      startPolling();
    }

    return () => {
      disposed = true;
      if (pollTimer) clearInterval(pollTimer);
      if (socket) {
        socket.onclose = null;
        socket.onerror = null;
        socket.onmessage = null;
        socket.close();
      }
      setTransport('idle');
    };
  }, [active, operationId, queryClient]);

  return { operation, transport };
}
