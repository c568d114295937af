import {
  AlreadyExistsError,
  DatabaseUnavailableError,
  DomainError,
  InvalidReferenceError,
  NotFoundError,
  QueryTimeoutError,
  ValidationError,
} from '../errors/domain-errors.js';

interface PgErrorFields {
  code?: string;
  constraint?: string;
  table?: string;
  detail?: string;
  message?: string;
}

/** SQLSTATEs worth retrying from the start of the unit of work. */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '08000', '08003', '08006', '08001', '08004', '57P01', '57P02', '57P03', '53300']);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export function isTransientDatabaseError(err: unknown): boolean {
  if (err instanceof DomainError) return false; // includes pool time-outs: waiting longer would not help
  const code = (err as PgErrorFields | undefined)?.code;
  if (code && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SOCKET_CODES.has(code))) return true;
  const message = (err as Error | undefined)?.message ?? '';
  // "Client has encountered a connection error and is not queryable": pg's answer to a query on a
  // client whose server went away between two statements (seen on every PostgreSQL restart in
  // test/reliability/postgres-restart.spec.ts); unmatched, a worker treated it as permanent and failed the operation.
  return /Connection terminated|terminating connection|server closed the connection|is not queryable/i.test(message);
}

/**
 * The one mapping of PostgreSQL errors to domain errors. `context` names what was being written
 * (e.g. "collection") so the message a user sees is about their data, not about constraints.
 */
export function mapDatabaseError(err: unknown, context = 'record'): unknown {
  if (err instanceof DomainError) return err;
  const fields = (err ?? {}) as PgErrorFields;
  switch (fields.code) {
    case '23505':
      return new AlreadyExistsError(`A ${context} with these values already exists`, { constraint: fields.constraint }, { cause: err });
    case '23503':
      return fields.detail?.includes('is still referenced')
        ? new InvalidReferenceError(`This ${context} is still in use and cannot be removed`, { constraint: fields.constraint }, { cause: err })
        : new NotFoundError(`A ${context} refers to something that does not exist`, { constraint: fields.constraint });
    case '23514':
    case '23502':
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
    // Text containing a NUL byte ("\u0000" is valid JSON): PostgreSQL text and jsonb cannot hold it.
    case '22021':
    case '22P05':
      return new ValidationError(`Invalid ${context}: ${fields.message ?? 'value rejected by the database'}`, { constraint: fields.constraint }, { cause: err });
    case '57014':
      return new QueryTimeoutError(`The database cancelled a ${context} query that ran too long (statement_timeout)`, { cause: err });
    default:
      if (isTransientDatabaseError(err)) {
        return new DatabaseUnavailableError('The database is unavailable right now; retry shortly', { cause: err });
      }
      return err;
  }
}
