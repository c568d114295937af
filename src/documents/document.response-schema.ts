import { z } from 'zod';
import { DOCUMENT_STATUSES } from '../db/schema.js';
import { enumOf, pageOf, timestamp } from '../http/response-schemas.js';

/** The contract's document JSON. */
export const documentResponse = z
  .object({
    id: z.string(),
    collection_id: z.string(),
    source_id: z.number().int().nullable(),
    /** The folder of `source_id` (the original web UI's Files tab shows it); null when unknown. */
    source_path: z.string().nullable(),
    file_path: z.string(),
    file_name: z.string(),
    file_size: z.number().int(),
    mime_type: z.string().nullable(),
    content_hash: z.string(),
    status: enumOf(DOCUMENT_STATUSES),
    error_message: z.string().nullable(),
    chunk_count: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Document' });

export const documentListResponse = pageOf('documents', documentResponse).meta({ id: 'DocumentList' });

export type DocumentJson = z.infer<typeof documentResponse>;
