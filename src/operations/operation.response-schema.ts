import { z } from 'zod';
import { OPERATION_STATUSES, OPERATION_TYPES } from '../db/schema.js';
import { enumOf, jsonObject, pageOf, timestamp } from '../http/response-schemas.js';

export const operationProgressResponse = z
  .object({
    total_files: z.number().int(),
    processed_files: z.number().int(),
    failed_files: z.number().int(),
    current_file: z.string().nullable(),
    /** 0–100, two decimals. */
    percentage: z.number(),
  })
  .meta({ id: 'OperationProgress' });

const operationFields = {
  id: z.string(),
  collection_id: z.string(),
  type: enumOf(OPERATION_TYPES),
  status: enumOf(OPERATION_STATUSES),
  config: jsonObject,
  error_message: z.string().nullable(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  /** What the run did (index/append/sync: added, changed, removed, unchanged, moved, failed …); null until it completes. */
  result: jsonObject.nullable(),
};

/** The contract's operation JSON. */
export const operationResponse = z.object({ ...operationFields, progress: operationProgressResponse }).meta({ id: 'Operation' });

/**
 * The operation as the Python original's v2-release web UI reads it: `progress` is the percentage,
 * the contract's object moves to `progress_details` (only `GET /api/v2/operations?limit=`).
 */
export const legacyOperationResponse = z
  .object({ ...operationFields, progress: z.number(), progress_details: operationProgressResponse })
  .meta({ id: 'LegacyOperation' });

export const operationListResponse = pageOf('operations', operationResponse).meta({ id: 'OperationList' });

/** `GET /api/v2/operations`: the envelope, or with `limit` the original UI's bare array. */
export const operationListOrLegacyResponse = z.union([operationListResponse, z.array(legacyOperationResponse)]);

export type OperationProgressJson = z.infer<typeof operationProgressResponse>;
export type OperationJson = z.infer<typeof operationResponse>;
export type LegacyOperationJson = z.infer<typeof legacyOperationResponse>;
