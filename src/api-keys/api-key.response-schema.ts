import { z } from 'zod';
import { timestamp } from '../http/response-schemas.js';

export const apiKeyResponse = z
  .object({
    id: z.string(),
    name: z.string(),
    key_prefix: z.string().nullable(),
    created_at: timestamp,
    expires_at: timestamp.nullable(),
    /** Minute resolution. */
    last_used_at: timestamp.nullable(),
    is_active: z.boolean(),
    /** `full` acts as the user; `read` may only read and search. */
    scope: z.enum(['full', 'read']),
    /** `null`: every collection the user can reach. */
    collection_ids: z.array(z.string()).nullable(),
  })
  .meta({ id: 'ApiKey' });

/** The secret is in this answer only: `key` (the contract's name) and `api_key` (the newest original UI's). */
export const createdApiKeyResponse = apiKeyResponse.extend({ key: z.string(), api_key: z.string() }).meta({ id: 'CreatedApiKey' });

export const apiKeyListResponse = z.object({ api_keys: z.array(apiKeyResponse), total: z.number().int() }).meta({ id: 'ApiKeyList' });

export type ApiKeyJson = z.infer<typeof apiKeyResponse>;
