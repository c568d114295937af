import type { ApiKeyScope } from '../api-keys/api-key.scope.js';
import type { UserRow } from '../db/schema.js';

/**
 * Who is calling: the user, and the API key when the request authenticated with one (collection
 * permission rows may grant access to a key as well as to a user). `apiKeyScope` is set exactly
 * when `apiKeyId` is: what the key may do on top of the user's rights (api-key.scope.ts).
 * Built by the HTTP authentication hook, the MCP endpoint and the CLI; read by every service.
 */
export interface Principal {
  user: UserRow;
  apiKeyId?: string;
  apiKeyScope?: ApiKeyScope;
  /** The login session of an access token (`sid`); logout ends it. Absent for API keys. */
  sessionId?: string;
}

/** What the collection access rule reads of a principal (search and tests pass no full user row). */
export interface AccessPrincipal {
  user: Pick<UserRow, 'id' | 'is_superuser'>;
  apiKeyId?: string;
  apiKeyScope?: ApiKeyScope;
}
