import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockFetch, renderWithProviders } from '../test/render';
import { ApiKeysPanel } from './api-keys.panel';

const SECRET = 'smk_live_0123456789abcdef';

const COLLECTIONS = [
  { id: 'c-docs', name: 'Docs' },
  { id: 'c-notes', name: 'Notes' },
];

function serverWithKeys() {
  const keys: Record<string, unknown>[] = [];
  return mockFetch({
    'GET /api/v2/api-keys': () => ({ status: 200, body: { api_keys: keys } }),
    'GET /api/v2/collections': () => ({ status: 200, body: { collections: COLLECTIONS, total: COLLECTIONS.length, page: 1, per_page: 100 } }),
    'POST /api/v2/api-keys': (call) => {
      const body = call.body as { name: string; scope: string; collection_ids?: string[] };
      const key = {
        id: 'k1',
        name: body.name,
        created_at: '2025-01-01T00:00:00Z',
        expires_at: null,
        is_active: true,
        last_used_at: null,
        scope: body.scope,
        collection_ids: body.collection_ids ?? null,
      };
      keys.push(key);
      return { status: 201, body: { ...key, key: SECRET } };
    },
    'DELETE /api/v2/api-keys/k1': () => {
      keys.splice(0, 1);
      return { status: 204 };
    },
  });
}

describe('ApiKeysPanel', () => {
  it('shows a created key once, then only its name', async () => {
    const { calls } = serverWithKeys();
    renderWithProviders(<ApiKeysPanel />);
    const user = userEvent.setup();
    expect(await screen.findByTestId('api-keys-empty')).toBeInTheDocument();

    await user.type(screen.getByLabelText('Key name'), 'backup script');
    await user.type(screen.getByLabelText('Expires in days (optional)'), '30');
    await user.click(screen.getByRole('button', { name: 'Create key' }));

    expect(await screen.findByTestId('api-key-value')).toHaveTextContent(SECRET);
    // Read-only over all collections unless the user chooses otherwise.
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'backup script', expires_in_days: 30, scope: 'read' });
    expect(calls.some((call) => call.path === '/api/v2/collections')).toBe(false);
    const row = await screen.findByTestId('api-key-row');
    expect(within(row).getByText('backup script')).toBeInTheDocument();
    expect(within(row).getByTestId('api-key-scope')).toHaveTextContent('Read-only · all collections');
    expect(row).toHaveTextContent('never used');
    expect(row).not.toHaveTextContent(SECRET);

    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-key-value')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('creates a full-access key limited to the chosen collections', async () => {
    const { calls } = serverWithKeys();
    renderWithProviders(<ApiKeysPanel />);
    const user = userEvent.setup();
    await screen.findByTestId('api-keys-empty');
    await user.type(screen.getByLabelText('Key name'), 'indexer');
    await user.click(screen.getByLabelText('Full access (also change collections)'));
    await user.click(screen.getByLabelText('Only some collections'));
    await user.click(await screen.findByLabelText('Notes'));
    await user.click(screen.getByRole('button', { name: 'Create key' }));

    await screen.findByTestId('api-key-value');
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'indexer', scope: 'full', collection_ids: ['c-notes'] });
    expect(await screen.findByTestId('api-key-scope')).toHaveTextContent('Full access · 1 collection');
    // The form is back to its least-privilege defaults for the next key.
    expect(screen.getByLabelText('Read-only (search and read)')).toBeChecked();
    expect(screen.getByLabelText('Only some collections')).not.toBeChecked();
  });

  it('refuses "only some collections" with none picked', async () => {
    const { calls } = serverWithKeys();
    renderWithProviders(<ApiKeysPanel />);
    const user = userEvent.setup();
    await screen.findByTestId('api-keys-empty');
    await user.type(screen.getByLabelText('Key name'), 'nothing');
    await user.click(screen.getByLabelText('Only some collections'));
    await screen.findByLabelText('Docs');
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Pick at least one collection, or untick “Only some collections”.')).toBeInTheDocument();
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });

  it('refuses a key without a name', async () => {
    const { calls } = serverWithKeys();
    renderWithProviders(<ApiKeysPanel />);
    await screen.findByTestId('api-keys-empty');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Create key' }));
    expect(screen.getByLabelText('Key name')).toHaveAccessibleDescription('Give the key a name, e.g. the script that will use it.');
    expect(calls.some((call) => call.method === 'POST')).toBe(false);
  });

  it('revokes a key after confirmation', async () => {
    const { calls } = serverWithKeys();
    renderWithProviders(<ApiKeysPanel />);
    const user = userEvent.setup();
    await screen.findByTestId('api-keys-empty');
    await user.type(screen.getByLabelText('Key name'), 'ci');
    await user.click(screen.getByRole('button', { name: 'Create key' }));
    await user.click(await screen.findByRole('button', { name: 'Revoke ci' }));
    await user.click(screen.getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByTestId('api-keys-empty')).toBeInTheDocument();
    expect(calls.some((call) => call.method === 'DELETE' && call.path === '/api/v2/api-keys/k1')).toBe(true);
  });
});
