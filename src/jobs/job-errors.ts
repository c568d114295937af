/**
 * The queue's own errors. Handlers throw PermanentJobError for what retrying cannot fix; the
 * worker throws OperationInterrupted at a batch boundary; JobRegistryError stops start-up.
 */

export type InterruptReason = 'cancelled' | 'lease_lost' | 'draining';

/** Stops a job at a batch boundary. Not a failure: the worker handles each reason on its own. */
export class OperationInterrupted extends Error {
  constructor(readonly reason: InterruptReason) {
    super(`operation interrupted: ${reason}`);
    this.name = 'OperationInterrupted';
  }
}

/** A failure that retrying cannot fix (bad config, source outside the roots, unknown model). */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** The registry handed to the worker lacks a handler: refused at start-up, not discovered as stuck jobs. */
export class JobRegistryError extends Error {
  override name = 'JobRegistryError';
}
