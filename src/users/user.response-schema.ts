import { z } from 'zod';
import { timestamp } from '../http/response-schemas.js';

export const userResponse = z
  .object({
    id: z.number().int(),
    username: z.string(),
    email: z.string(),
    full_name: z.string().nullable(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    created_at: timestamp,
    last_login: timestamp.nullable(),
  })
  .meta({ id: 'User' });

/** What administrators see of an account: also its document roots (null: the server's). */
export const adminUserResponse = userResponse.extend({ document_roots: z.array(z.string()).nullable() }).meta({ id: 'AdminUser' });

export const adminUserListResponse = z.object({ users: z.array(adminUserResponse) }).meta({ id: 'AdminUserList' });

export type UserJson = z.infer<typeof userResponse>;
export type AdminUserJson = z.infer<typeof adminUserResponse>;
