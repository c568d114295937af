import { request } from '../api/api.client';
import type { ApiKey, CreateApiKeyBody, CreatedApiKey } from '../api/api.types';

export const apiKeyKeys = { all: ['api-keys'] as const };

export function listApiKeys(): Promise<ApiKey[]> {
  return request<{ api_keys: ApiKey[] }>('/api/v2/api-keys').then((body) => body.api_keys);
}

export function createApiKey(body: CreateApiKeyBody): Promise<CreatedApiKey> {
  return request<CreatedApiKey>('/api/v2/api-keys', { method: 'POST', body });
}

export function revokeApiKey(id: ApiKey['id']): Promise<void> {
  return request<void>(`/api/v2/api-keys/${encodeURIComponent(String(id))}`, { method: 'DELETE' });
}
