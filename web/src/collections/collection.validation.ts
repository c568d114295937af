// Client-side limits mirror the server's: chunk size 100..10000 tokens, overlap 0..size-1.
export const CHUNK_SIZE_MIN = 100;
export const CHUNK_SIZE_MAX = 10_000;
export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CHUNK_OVERLAP = 200;

export interface ChunkingErrors {
  chunk_size?: string;
  chunk_overlap?: string;
}

/** Validates the chunking fields as typed (strings from inputs); empty means "not given". */
export function validateChunking(sizeText: string, overlapText: string, required: boolean): ChunkingErrors {
  const errors: ChunkingErrors = {};
  const sizeGiven = sizeText.trim() !== '';
  const overlapGiven = overlapText.trim() !== '';
  const size = Number(sizeText);
  const overlap = Number(overlapText);

  if (required && !sizeGiven) errors.chunk_size = 'Enter a chunk size.';
  else if (sizeGiven && (!Number.isInteger(size) || size < CHUNK_SIZE_MIN || size > CHUNK_SIZE_MAX)) {
    errors.chunk_size = `Chunk size must be a whole number from ${CHUNK_SIZE_MIN} to ${CHUNK_SIZE_MAX}.`;
  }

  if (required && !overlapGiven) errors.chunk_overlap = 'Enter a chunk overlap (0 for none).';
  else if (overlapGiven) {
    if (!Number.isInteger(overlap) || overlap < 0) {
      errors.chunk_overlap = 'Chunk overlap must be a whole number, 0 or more.';
    } else if (sizeGiven && !errors.chunk_size && overlap >= size) {
      errors.chunk_overlap = `Chunk overlap must be smaller than the chunk size (at most ${size - 1}).`;
    }
  }
  return errors;
}
