// The server's JSON, as its OpenAPI document declares it: aliases of the types generated into
// ./generated/openapi.d.ts by `npm run gen:api-types` (never edit that file; change the route's
// response schema in src/**/*.response-schema.ts and regenerate — a server test fails on drift).
import type { components, paths } from './generated/openapi';

type Schemas = components['schemas'];
type JsonBody<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON request body of a route (`Body<'/api/v2/collections', 'post'>`). */
type Body<P extends keyof paths, M extends keyof paths[P]> = JsonBody<NonNullable<paths[P][M] extends { requestBody?: infer R } ? R : never>>;

export type User = Schemas['User'];
export type AdminUser = Schemas['AdminUser'];
export type TokenPair = Schemas['TokenPair'];
export type RegistrationStatus = Schemas['RegistrationStatus'];
/** POST /api/v2/ws-tickets: opens one WebSocket within `expires_in` seconds. */
export type SocketTicket = Schemas['SocketTicket'];

export type Collection = Schemas['Collection'];
export type CollectionStatus = Collection['status'];
export type CollectionSource = Schemas['CollectionSource'];
export type CollectionDetails = Schemas['CollectionDetails'];
export type CreatedCollection = Schemas['CreatedCollection'];
export type CollectionList = Schemas['CollectionList'];
export type CreateCollectionBody = Body<'/api/v2/collections', 'post'>;
export type UpdateCollectionBody = Body<'/api/v2/collections/{id}', 'put'>;
export type ReindexBody = NonNullable<Body<'/api/v2/collections/{id}/reindex', 'post'>>;
export type UpdateSourceBody = Body<'/api/v2/collections/{id}/sources/{sourceId}', 'patch'>;
export type EmbeddingModelList = Schemas['EmbeddingModelList'];
export type EmbeddingModel = EmbeddingModelList['models'][number];

export type CollectionDocument = Schemas['Document'];
export type DocumentStatus = CollectionDocument['status'];
export type DocumentList = Schemas['DocumentList'];

export type Operation = Schemas['Operation'];
export type OperationType = Operation['type'];
export type OperationStatus = Operation['status'];
export type OperationProgress = Schemas['OperationProgress'];
export type OperationList = Schemas['OperationList'];

export type SearchBody = Body<'/api/v2/search', 'post'>;
export type SearchType = SearchResponse['search_type'];
/** Best-matching passage of a chunk; highlights are [start, end) UTF-16 offsets into text. */
export type SearchSnippet = Schemas['SearchSnippet'];
export type SearchResult = Schemas['SearchResult'];
export type SearchResponse = Schemas['SearchResponse'];

export type ApiKey = Schemas['ApiKey'];
/** `full` acts as the user; `read` may only read and search. */
export type ApiKeyScope = ApiKey['scope'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type CreateApiKeyBody = Body<'/api/v2/api-keys', 'post'>;

// WebSocket messages are not part of the OpenAPI document (src/operations/operation-events.ts).
export type OperationEventType = 'operation_started' | 'progress' | 'operation_completed' | 'operation_failed' | 'operation_cancelled';

export interface OperationEvent {
  type: OperationEventType;
  operation_id: string;
  data: unknown;
}

export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ['completed', 'failed', 'cancelled'];

export function isOperationActive(operation: Pick<Operation, 'status'>): boolean {
  return !TERMINAL_OPERATION_STATUSES.includes(operation.status);
}
