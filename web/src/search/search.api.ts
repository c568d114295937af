import { request } from '../api/api.client';
import type { SearchBody, SearchResponse } from '../api/api.types';

export function search(body: SearchBody): Promise<SearchResponse> {
  return request<SearchResponse>('/api/v2/search', { method: 'POST', body });
}
