import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs (one object per line) — what log shippers expect; pipe through `pino-pretty` locally. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'semantik', ...bindings } });
}
