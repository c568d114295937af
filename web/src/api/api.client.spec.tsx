import { describe, expect, it } from 'vitest';
import { json, mockFetch } from '../test/render';
import { request } from './api.client';
import { ApiError, apiErrorFromBody } from './api.error';
import { tokenStore } from './token.store';

describe('request', () => {
  it('refreshes once on 401, rotates the refresh token and retries with the new access token', async () => {
    tokenStore.setTokens('old-access', 'old-refresh');
    let meCalls = 0;
    const { calls } = mockFetch({
      'GET /api/auth/me': (call) => {
        meCalls += 1;
        return call.headers.Authorization === 'Bearer new-access' ? { status: 200, body: { username: 'admin' } } : { status: 401, body: { detail: 'Token expired', code: 'unauthorized' } };
      },
      'POST /api/auth/refresh': json(200, { access_token: 'new-access', refresh_token: 'new-refresh', token_type: 'bearer' }),
    });
    await expect(request('/api/auth/me')).resolves.toEqual({ username: 'admin' });
    expect(meCalls).toBe(2);
    expect(calls.find((call) => call.path === '/api/auth/refresh')?.body).toEqual({ refresh_token: 'old-refresh' });
    expect(tokenStore.getRefreshToken()).toBe('new-refresh');
  });

  it('shares one refresh between concurrent 401s', async () => {
    tokenStore.setTokens('old-access', 'old-refresh');
    const { calls } = mockFetch({
      'GET /api/v2/collections': (call) => (call.headers.Authorization === 'Bearer new-access' ? { status: 200, body: { collections: [] } } : { status: 401 }),
      'POST /api/auth/refresh': json(200, { access_token: 'new-access', refresh_token: 'new-refresh', token_type: 'bearer' }),
    });
    await Promise.all([request('/api/v2/collections'), request('/api/v2/collections'), request('/api/v2/collections')]);
    expect(calls.filter((call) => call.path === '/api/auth/refresh')).toHaveLength(1);
  });

  it('ends the session when the refresh token is refused', async () => {
    tokenStore.setTokens('old-access', 'used-refresh');
    mockFetch({
      'GET /api/auth/me': json(401, { detail: 'Token expired', code: 'unauthorized' }),
      'POST /api/auth/refresh': json(401, { detail: 'Refresh token already used', code: 'unauthorized' }),
    });
    await expect(request('/api/auth/me')).rejects.toMatchObject({ status: 401, detail: 'Token expired' });
    expect(tokenStore.getAccessToken()).toBeNull();
  });

  it('surfaces {detail, code} as an ApiError', async () => {
    mockFetch({ 'GET /api/v2/collections/x': json(404, { detail: 'Collection not found', code: 'not_found' }) });
    const error = await request('/api/v2/collections/x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, detail: 'Collection not found', code: 'not_found' });
  });
});

describe('apiErrorFromBody', () => {
  it('reads FastAPI-style 422 detail arrays into field errors', () => {
    const error = apiErrorFromBody(422, { detail: [{ loc: ['body', 'chunk_overlap'], msg: 'must be less than chunk_size' }] });
    expect(error.fieldErrors).toEqual({ chunk_overlap: 'must be less than chunk_size' });
    expect(error.detail).toBe('chunk_overlap: must be less than chunk_size');
  });

  it('reads zod-style details arrays into field errors, keeping the detail', () => {
    const error = apiErrorFromBody(422, { detail: 'Invalid request body', code: 'validation_error', details: [{ path: ['config', 'include', 0], message: 'Invalid glob' }] });
    expect(error).toMatchObject({ detail: 'Invalid request body', fieldErrors: { include: 'Invalid glob' } });
  });

  it('reads a field map', () => {
    const error = apiErrorFromBody(422, { detail: 'Invalid body', code: 'validation_error', fields: { name: ['Required'] } });
    expect(error).toMatchObject({ detail: 'Invalid body', code: 'validation_error', fieldErrors: { name: 'Required' } });
  });
});
