import { z } from 'zod';
import { COLLECTION_STATUSES } from '../db/schema.js';
import { enumOf, jsonObject, pageOf, timestamp } from '../http/response-schemas.js';

/** The contract's collection JSON, plus `needs_reindex` (additive). */
export const collectionResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    owner_id: z.number().int(),
    vector_store_name: z.string(),
    embedding_model: z.string(),
    quantization: z.string(),
    chunk_size: z.number().int(),
    chunk_overlap: z.number().int(),
    is_public: z.boolean(),
    status: enumOf(COLLECTION_STATUSES),
    status_message: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
    document_count: z.number().int(),
    vector_count: z.number().int(),
    total_size_bytes: z.number().int(),
    metadata: jsonObject,
    /** Settings changed since the documents were embedded (chunking or model): results may be incomplete until a reindex. */
    needs_reindex: z.boolean(),
  })
  .meta({ id: 'Collection' });

export const collectionSourceResponse = z
  .object({
    id: z.number().int(),
    source_path: z.string(),
    source_type: z.string(),
    document_count: z.number().int(),
    size_bytes: z.number().int(),
    last_indexed_at: timestamp.nullable(),
    /** Minutes between scheduled syncs; null: only on request. */
    sync_interval_minutes: z.number().int().nullable(),
    next_sync_at: timestamp.nullable(),
    /** File-system watching (opt-in): changes enqueue a sync. */
    watch: z.boolean(),
  })
  .meta({ id: 'CollectionSource' });

export const collectionDetailsResponse = collectionResponse.extend({ sources: z.array(collectionSourceResponse) }).meta({ id: 'CollectionDetails' });

/** A create also names its file-less initial operation (the original UI watches its socket; docs/api.md M2). */
export const createdCollectionResponse = collectionResponse.extend({ initial_operation_id: z.string() }).meta({ id: 'CreatedCollection' });

export const collectionListResponse = pageOf('collections', collectionResponse).meta({ id: 'CollectionList' });

export type CollectionJson = z.infer<typeof collectionResponse>;
export type CollectionSourceJson = z.infer<typeof collectionSourceResponse>;
