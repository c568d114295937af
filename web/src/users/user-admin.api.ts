import { request } from '../api/api.client';
import type { AdminUser } from '../api/api.types';

/** An account as administrators see it (GET /api/v2/admin/users); `document_roots` null = not configured. */
export type { AdminUser };

export interface NewAdminUser {
  username: string;
  email: string;
  password: string;
  is_superuser: boolean;
  document_roots: string[] | null;
}

export type AdminUserChanges = Partial<Pick<AdminUser, 'is_active' | 'is_superuser' | 'document_roots' | 'email' | 'full_name'>>;

export const adminUserKeys = { all: ['admin', 'users'] as const };

const userUrl = (id: AdminUser['id']) => `/api/v2/admin/users/${encodeURIComponent(String(id))}`;

export function listAdminUsers(): Promise<AdminUser[]> {
  return request<{ users: AdminUser[] }>('/api/v2/admin/users').then((body) => body.users);
}

export function createAdminUser(body: NewAdminUser): Promise<AdminUser> {
  return request<AdminUser>('/api/v2/admin/users', { method: 'POST', body });
}

export function updateAdminUser(id: AdminUser['id'], changes: AdminUserChanges): Promise<AdminUser> {
  return request<AdminUser>(userUrl(id), { method: 'PATCH', body: changes });
}

export function resetAdminUserPassword(id: AdminUser['id'], newPassword: string): Promise<void> {
  return request<void>(`${userUrl(id)}/password`, { method: 'POST', body: { new_password: newPassword } });
}

export function deleteAdminUser(id: AdminUser['id']): Promise<void> {
  return request<void>(userUrl(id), { method: 'DELETE' });
}

/** One folder per line (or separated by ":" like SEMANTIK_DOCUMENT_ROOTS); empty = none. */
export function parseRoots(text: string): string[] {
  return text
    .split(/[\n:]/)
    .map((part) => part.trim())
    .filter(Boolean);
}
