import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (one object per line) — what log shippers expect; pipe through `pino-pretty` locally.
 * To stdout, unless `toStderr`: `semantik mcp` speaks the protocol on stdout, where one log line
 * would corrupt it.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, options: { toStderr?: boolean } = {}): Logger {
  const pinoOptions = { level, base: { service: 'semantik', ...bindings } };
  return options.toStderr ? pino(pinoOptions, pino.destination(2)) : pino(pinoOptions);
}
