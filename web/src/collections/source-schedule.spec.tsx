import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { CollectionSource } from '../api/api.types';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { SourceSchedule } from './source-schedule';

const source: CollectionSource = {
  id: 7,
  source_path: '/docs/notes',
  source_type: 'directory',
  document_count: 3,
  size_bytes: 100,
  last_indexed_at: null,
  sync_interval_minutes: null,
  next_sync_at: null,
  watch: false,
};

describe('SourceSchedule', () => {
  it('saves a chosen interval and the watch flag with PATCH', async () => {
    const { calls } = mockFetch({ 'PATCH /api/v2/collections/c1/sources/7': json(200, { ...source, sync_interval_minutes: 60 }) });
    renderWithProviders(<SourceSchedule collectionId="c1" source={source} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Sync schedule for /docs/notes'), 'Every hour');
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toMatchObject({ method: 'PATCH', body: { sync_interval_minutes: 60 } });
    await user.click(screen.getByLabelText('Watch /docs/notes for changes'));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]!.body).toEqual({ watch: true });
  });

  it('shows an interval set through the API that the menu does not offer, and the next sync time', () => {
    mockFetch({});
    renderWithProviders(<SourceSchedule collectionId="c1" source={{ ...source, sync_interval_minutes: 45, next_sync_at: '2026-12-02T03:00:00Z' }} />);
    expect(screen.getByLabelText('Sync schedule for /docs/notes')).toHaveDisplayValue('Every 45 minutes');
    expect(screen.getByText(/next sync/)).toBeInTheDocument();
  });
});
