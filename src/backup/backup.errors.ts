import { DomainError } from '../errors/domain-errors.js';

/** A backup or restore that cannot go ahead; the message names the cause and the fix. */
export class BackupError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_request', message, undefined, options);
  }
}

/** The restored database differs from what the backup's manifest recorded. */
export class BackupVerificationError extends DomainError {
  constructor(
    message: string,
    readonly mismatches: string[],
  ) {
    super('internal_error', message, mismatches);
  }
}
