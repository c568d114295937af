import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { tokenStore } from '../api/token.store';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { ChangePasswordForm } from './password.form';

function renderForm() {
  tokenStore.setTokens('access-1', 'refresh-1');
  renderWithProviders(
    <Routes>
      <Route path="/settings" element={<ChangePasswordForm />} />
      <Route path="/login" element={<p>Login page</p>} />
    </Routes>,
    { route: '/settings' },
  );
  return userEvent.setup();
}

describe('ChangePasswordForm', () => {
  it('changes the password, forgets this session and goes to the login page', async () => {
    const { calls } = mockFetch({ 'POST /api/auth/password': json(204) });
    const user = renderForm();
    await user.type(screen.getByLabelText('Current password'), 'old-password');
    await user.type(screen.getByLabelText('New password'), 'new-password-1');
    await user.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByText('Login page')).toBeInTheDocument();
    expect(calls[0]?.body).toEqual({ current_password: 'old-password', new_password: 'new-password-1' });
    expect(tokenStore.getRefreshToken()).toBeNull();
  });

  it('shows the refusal of a wrong current password and keeps the session', async () => {
    mockFetch({ 'POST /api/auth/password': json(422, { detail: 'current_password is not your current password', code: 'validation_error', errors: [] }) });
    const user = renderForm();
    await user.type(screen.getByLabelText('Current password'), 'wrong-one');
    await user.type(screen.getByLabelText('New password'), 'new-password-1');
    await user.click(screen.getByRole('button', { name: 'Change password' }));
    expect(await screen.findByTestId('password-change-error')).toHaveTextContent('not your current password');
    expect(tokenStore.getRefreshToken()).toBe('refresh-1');
  });
});
