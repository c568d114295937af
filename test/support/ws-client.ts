import { createRequire } from 'node:module';

/** The `ws` client (a dependency of @fastify/websocket; Node 20 has no stable global WebSocket). */
export interface WsClient {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'open', listener: () => void): void;
  on(event: 'error' | 'unexpected-response', listener: (...args: any[]) => void): void;
  /** The subprotocol the server chose ('' when none). */
  protocol: string;
  close(): void;
}

export const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, protocols?: string[]) => WsClient;
