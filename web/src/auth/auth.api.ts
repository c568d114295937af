import { request } from '../api/api.client';
import type { RegistrationStatus, TokenPair, User } from '../api/api.types';
import { tokenStore } from '../api/token.store';

export interface RegisterBody {
  username: string;
  email: string;
  password: string;
  full_name?: string;
}

export async function login(username: string, password: string): Promise<void> {
  const tokens = await request<TokenPair>('/api/auth/login', {
    method: 'POST',
    body: { username, password },
    anonymous: true,
  });
  tokenStore.setTokens(tokens.access_token, tokens.refresh_token);
}

export function register(body: RegisterBody): Promise<User> {
  return request<User>('/api/auth/register', { method: 'POST', body, anonymous: true });
}

/** Whether the sign-up form may be offered: always for the first account, then only with SEMANTIK_REGISTRATION=open. */
export type { RegistrationStatus };

export const registrationKeys = { status: ['auth', 'registration'] as const };

export function getRegistrationStatus(): Promise<RegistrationStatus> {
  return request<RegistrationStatus>('/api/auth/registration', { anonymous: true });
}

/** Signs every session out on success (the server revokes all refresh tokens): sign in again. */
export function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  return request<void>('/api/auth/password', { method: 'POST', body: { current_password: currentPassword, new_password: newPassword } });
}

export async function logout(): Promise<void> {
  const refreshToken = tokenStore.getRefreshToken();
  try {
    if (refreshToken) {
      await request('/api/auth/logout', { method: 'POST', body: { refresh_token: refreshToken }, anonymous: true });
    }
  } finally {
    // Even if the server is unreachable, this browser forgets the session.
    tokenStore.clear();
  }
}

export function getCurrentUser(): Promise<User> {
  return request<User>('/api/auth/me');
}
