import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockFetch, renderWithProviders } from '../test/render';
import { ApiKeysPanel } from './api-keys.panel';

const SECRET = 'smk_live_0123456789abcdef';

function serverWithKeys() {
  const keys: { id: string; name: string; created_at: string; expires_at: null; is_active: boolean }[] = [];
  return mockFetch({
    'GET /api/v2/api-keys': () => ({ status: 200, body: { api_keys: keys } }),
    'POST /api/v2/api-keys': (call) => {
      const key = { id: 'k1', name: (call.body as { name: string }).name, created_at: '2025-01-01T00:00:00Z', expires_at: null, is_active: true };
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
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ name: 'backup script', expires_in_days: 30 });
    const row = await screen.findByTestId('api-key-row');
    expect(within(row).getByText('backup script')).toBeInTheDocument();
    expect(row).not.toHaveTextContent(SECRET);

    await user.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-key-value')).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
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
