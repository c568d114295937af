import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import { tokenStore } from '../api/token.store';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { LoginPage } from './login.page';

function renderLogin() {
  renderWithProviders(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/" element={<p>Dashboard</p>} />
    </Routes>,
    { route: '/login' },
  );
  return userEvent.setup();
}

const tokens = { access_token: 'access-1', refresh_token: 'refresh-1', token_type: 'bearer' };
const openRegistration = { 'GET /api/auth/registration': json(200, { open: true, first_user: false }) };

describe('LoginPage', () => {
  it('shows the server detail when login is refused', async () => {
    mockFetch({ ...openRegistration, 'POST /api/auth/login': json(401, { detail: 'Incorrect username or password', code: 'invalid_credentials' }) });
    const user = renderLogin();
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'wrong');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Incorrect username or password');
    expect(tokenStore.getAccessToken()).toBeNull();
    expect(screen.queryByTestId('first-run-offer')).not.toBeInTheDocument();
  });

  it('on a fresh install (no accounts yet) offers the admin account', async () => {
    mockFetch({ 'GET /api/auth/registration': json(200, { open: true, first_user: true }) });
    const user = renderLogin();
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.click(await screen.findByRole('button', { name: 'Create the admin account' }));
    expect(screen.getByRole('heading', { name: 'Create account' })).toBeInTheDocument();
    // The username typed for the failed login carries over.
    expect(screen.getByLabelText('Username')).toHaveValue('admin');
  });

  it('hides "create account" when registration is closed and says who creates accounts', async () => {
    mockFetch({ 'GET /api/auth/registration': json(200, { open: false, first_user: false }) });
    renderLogin();
    expect(await screen.findByTestId('registration-closed')).toHaveTextContent('An administrator creates accounts');
    expect(screen.queryByRole('button', { name: 'Create one' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('first-run-offer')).not.toBeInTheDocument();
  });

  it('stores the tokens and leaves the login page on success', async () => {
    const { calls } = mockFetch({ ...openRegistration, 'POST /api/auth/login': json(200, tokens) });
    const user = renderLogin();
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'secret-pass');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Dashboard')).toBeInTheDocument();
    expect(calls.find((call) => call.path === '/api/auth/login')?.body).toEqual({ username: 'admin', password: 'secret-pass' });
    expect(tokenStore.getRefreshToken()).toBe('refresh-1');
  });

  it('registers, then signs in with the same credentials', async () => {
    const { calls } = mockFetch({
      ...openRegistration,
      'POST /api/auth/register': json(201, { id: 1, username: 'admin', email: 'a@example.com', is_superuser: true }),
      'POST /api/auth/login': json(200, tokens),
    });
    const user = renderLogin();
    await user.click(await screen.findByRole('button', { name: 'Create one' }));
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Email'), 'a@example.com');
    await user.type(screen.getByLabelText('Password'), 'secret-pass');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Dashboard')).toBeInTheDocument();
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual(['GET /api/auth/registration', 'POST /api/auth/register', 'POST /api/auth/login']);
    expect(calls[1]?.body).toEqual({ username: 'admin', email: 'a@example.com', password: 'secret-pass' });
  });

  it('shows a duplicate-username detail from registration', async () => {
    mockFetch({ ...openRegistration, 'POST /api/auth/register': json(409, { detail: 'Username "admin" is already taken', code: 'conflict' }) });
    const user = renderLogin();
    await user.click(await screen.findByRole('button', { name: 'Create one' }));
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Email'), 'a@example.com');
    await user.type(screen.getByLabelText('Password'), 'secret-pass');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByTestId('register-error')).toHaveTextContent('Username "admin" is already taken');
  });

  it('checks the email before calling the server', async () => {
    const { fetchMock } = mockFetch(openRegistration);
    const user = renderLogin();
    await user.click(await screen.findByRole('button', { name: 'Create one' }));
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Email'), 'not-an-email');
    await user.type(screen.getByLabelText('Password'), 'secret-pass');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter a valid email address.');
    expect(fetchMock).toHaveBeenCalledTimes(1); // the registration status only
  });
});
