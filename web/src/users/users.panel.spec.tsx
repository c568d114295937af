import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockFetch, renderWithProviders } from '../test/render';
import type { AdminUser } from './user-admin.api';
import { UsersPanel } from './users.panel';

function account(id: number, username: string, fields: Partial<AdminUser> = {}): AdminUser {
  return {
    id,
    username,
    email: `${username}@example.com`,
    full_name: null,
    is_active: true,
    is_superuser: false,
    created_at: '2026-01-01T00:00:00Z',
    last_login: null,
    document_roots: null,
    ...fields,
  };
}

/** A tiny admin API over an in-memory list, recording every call. */
function serverWithUsers() {
  const users: AdminUser[] = [account(1, 'admin', { is_superuser: true })];
  const find = (path: string) => users.find((u) => path.startsWith(`/api/v2/admin/users/${u.id}`))!;
  const routes = {
    'GET /api/v2/admin/users': () => ({ status: 200, body: { users } }),
    'POST /api/v2/admin/users': (call: { body: unknown }) => {
      const body = call.body as { username: string; document_roots: string[] | null; is_superuser: boolean };
      const created = account(users.length + 1, body.username, { document_roots: body.document_roots, is_superuser: body.is_superuser });
      users.push(created);
      return { status: 201, body: created };
    },
  } as Record<string, Parameters<typeof mockFetch>[0][string]>;
  for (const id of [2]) {
    routes[`PATCH /api/v2/admin/users/${id}`] = (call) => {
      const user = find(call.path);
      Object.assign(user, call.body);
      return { status: 200, body: user };
    };
    routes[`POST /api/v2/admin/users/${id}/password`] = () => ({ status: 204 });
    routes[`DELETE /api/v2/admin/users/${id}`] = (call) => {
      users.splice(users.indexOf(find(call.path)), 1);
      return { status: 204 };
    };
  }
  return mockFetch(routes);
}

describe('UsersPanel', () => {
  it('creates a user with document folders, edits the folders, disables, resets the password and deletes', async () => {
    const { calls } = serverWithUsers();
    renderWithProviders(<UsersPanel />);
    const user = userEvent.setup();
    expect(await screen.findByText('admin')).toBeInTheDocument();

    await user.type(screen.getByLabelText('New username'), 'bob');
    await user.type(screen.getByLabelText("New user's email"), 'bob@example.com');
    await user.type(screen.getByLabelText('Initial password'), 'long-enough');
    await user.type(screen.getByLabelText('Document folders'), '/srv/docs/bob:/srv/docs/shared');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    const row = await screen.findByText('bob').then((el) => el.closest('li')!);
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      username: 'bob',
      email: 'bob@example.com',
      password: 'long-enough',
      is_superuser: false,
      document_roots: ['/srv/docs/bob', '/srv/docs/shared'],
    });
    expect(within(row).getByTestId('user-roots')).toHaveTextContent('/srv/docs/bob:/srv/docs/shared');

    await user.click(within(row).getByRole('button', { name: 'Edit folders of bob' }));
    const folders = within(row).getByLabelText('Folders of bob');
    await user.clear(folders);
    await user.type(folders, '/srv/docs/bob');
    await user.click(within(row).getByRole('button', { name: 'Save folders' }));
    expect(await within(row).findByText('/srv/docs/bob')).toBeInTheDocument();

    await user.click(within(row).getByRole('button', { name: 'Disable bob' }));
    expect(await within(row).findByRole('button', { name: 'Enable bob' })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ document_roots: ['/srv/docs/bob'] }, { is_active: false }]);

    await user.click(within(row).getByRole('button', { name: 'Reset password of bob' }));
    await user.type(within(row).getByLabelText('New password for bob'), 'fresh-password');
    await user.click(within(row).getByRole('button', { name: 'Set password' }));
    expect(await screen.findByText(/Password of bob reset/)).toBeInTheDocument();
    expect(calls.find((c) => c.path.endsWith('/password'))?.body).toEqual({ new_password: 'fresh-password' });

    await user.click(within(row).getByRole('button', { name: 'Delete bob' }));
    await user.click(within(row).getByTestId('user-delete-confirm'));
    await expect.poll(() => screen.queryByText('bob')).toBeNull();
  });

  it('checks the form before calling the server and shows refusals from it', async () => {
    const { calls } = mockFetch({
      'GET /api/v2/admin/users': () => ({ status: 200, body: { users: [account(1, 'admin', { is_superuser: true })] } }),
      'POST /api/v2/admin/users': () => ({
        status: 422,
        body: { detail: 'document root "/etc" is outside the server\'s document roots', code: 'validation_error', errors: [] },
      }),
    });
    renderWithProviders(<UsersPanel />);
    const user = userEvent.setup();
    await screen.findByText('admin');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByLabelText('Initial password')).toHaveAccessibleDescription('At least 8 characters.');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    await user.type(screen.getByLabelText('New username'), 'eve');
    await user.type(screen.getByLabelText("New user's email"), 'eve@example.com');
    await user.type(screen.getByLabelText('Initial password'), 'long-enough');
    await user.type(screen.getByLabelText('Document folders'), '/etc');
    await user.click(screen.getByRole('button', { name: 'Create user' }));
    expect(await screen.findByTestId('user-create-error')).toHaveTextContent('outside the server');
  });
});
