import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Collection } from '../api/api.types';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { SyncButton } from './collection-actions';

const collection = { id: 'c1', name: 'notes' } as Collection;

describe('SyncButton', () => {
  it('starts a sync of every source and says so', async () => {
    const { calls } = mockFetch({ 'POST /api/v2/collections/c1/sync': json(202, { id: 'op1', type: 'sync', status: 'pending' }) });
    renderWithProviders(<SyncButton collection={collection} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sync' }));
    await vi.waitFor(() => expect(screen.getByText('Syncing “notes” with its folders…')).toBeInTheDocument());
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v2/collections/c1/sync', body: {} });
  });

  it('shows why the server refused (another operation is running)', async () => {
    const detail = 'Collection "notes" already has an active append operation (op0); wait for it or cancel it';
    mockFetch({ 'POST /api/v2/collections/c1/sync': json(409, { detail, code: 'conflict' }) });
    renderWithProviders(<SyncButton collection={collection} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sync' }));
    await vi.waitFor(() => expect(screen.getByText(detail)).toBeInTheDocument());
  });
});
