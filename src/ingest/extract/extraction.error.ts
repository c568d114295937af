/** Why a file yielded no text. Stored with the document so operators can filter and fix. */
export type ExtractionFailureReason =
  | 'empty'
  | 'too_large'
  | 'unreadable'
  /** Outside the document roots or under a dot-folder (document-roots decides). */
  | 'refused'
  | 'binary'
  | 'corrupt'
  | 'encrypted'
  | 'no_text';

/**
 * A file could not be turned into text. Expected during indexing (a folder holds junk), so it is
 * recorded on the document and the run goes on; it never means a bug in Semantik.
 */
export class ExtractionError extends Error {
  constructor(
    readonly reason: ExtractionFailureReason,
    message: string,
    readonly filePath?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExtractionError';
  }
}
