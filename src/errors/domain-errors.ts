/**
 * Small domain errors with a machine code. Services throw these; the HTTP layer maps `code` to a
 * status through `httpStatusForCode` (the one table), the CLI prints `message`.
 */
export type ErrorCode =
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'validation_error'
  | 'invalid_reference'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'payload_too_large'
  | 'query_timeout'
  | 'database_unavailable'
  | 'internal_error';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('not_found', message, details);
  }
}
export class AlreadyExistsError extends DomainError {
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super('already_exists', message, details, options);
  }
}
export class ConflictError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}
export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super('validation_error', message, details, options);
  }
}
export class InvalidReferenceError extends DomainError {
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super('invalid_reference', message, details, options);
  }
}
export class BadRequestError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('bad_request', message, details);
  }
}
export class UnauthorizedError extends DomainError {
  constructor(message = 'Not authenticated') {
    super('unauthorized', message);
  }
}
export class ForbiddenError extends DomainError {
  constructor(message = 'Not allowed') {
    super('forbidden', message);
  }
}
export class RateLimitedError extends DomainError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super('rate_limited', message);
  }
}
export class QueryTimeoutError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('query_timeout', message, undefined, options);
  }
}
export class DatabaseUnavailableError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('database_unavailable', message, undefined, options);
  }
}

/** The one table from error code to HTTP status. */
const statusByCode: Record<ErrorCode, number> = {
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  validation_error: 422,
  invalid_reference: 422,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  payload_too_large: 413,
  query_timeout: 504,
  database_unavailable: 503,
  internal_error: 500,
};

export function httpStatusForCode(code: ErrorCode): number {
  return statusByCode[code];
}
