import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/api.error';
import { Button } from '../components/button';
import { FormError, TextField } from '../components/field';
import { EmptyState, ErrorPanel, Spinner, StatusBadge } from '../components/status';
import { useToast } from '../components/toast';
import {
  adminUserKeys,
  createAdminUser,
  deleteAdminUser,
  listAdminUsers,
  parseRoots,
  resetAdminUserPassword,
  updateAdminUser,
  type AdminUser,
  type AdminUserChanges,
} from './user-admin.api';

/** Administrators only (the settings page shows it to superusers; the API answers 403 to anyone else). */
export function UsersPanel() {
  const users = useQuery({ queryKey: adminUserKeys.all, queryFn: listAdminUsers });
  return (
    <div className="space-y-5">
      <CreateUserForm />
      {users.isPending && <Spinner label="Loading users…" />}
      {users.isError && <ErrorPanel error={errorMessage(users.error)} onRetry={() => void users.refetch()} />}
      {users.data && users.data.length === 0 && <EmptyState title="No users" testId="users-empty" />}
      {users.data && users.data.length > 0 && (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" data-testid="user-list">
          {users.data.map((user) => (
            <UserRow key={user.id} user={user} />
          ))}
        </ul>
      )}
    </div>
  );
}

function CreateUserForm() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const empty = { username: '', email: '', password: '', roots: '', admin: false };
  const [values, setValues] = useState(empty);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      createAdminUser({
        username: values.username.trim(),
        email: values.email.trim(),
        password: values.password,
        is_superuser: values.admin,
        document_roots: values.admin ? null : parseRoots(values.roots),
      }),
    onSuccess: (user) => {
      setValues(empty);
      void queryClient.invalidateQueries({ queryKey: adminUserKeys.all });
      toast.success(`User ${user.username} created.`);
    },
    onError: (caught) => {
      setError(errorMessage(caught));
      if (caught instanceof ApiError) setFieldErrors(caught.fieldErrors);
    },
  });
  const set = (field: 'username' | 'email' | 'password' | 'roots') => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    if (!values.username.trim()) found.username = 'Choose a username.';
    if (!/^\S+@\S+\.\S+$/.test(values.email.trim())) found.email = 'Enter a valid email address.';
    if (values.password.length < 8) found.password = 'At least 8 characters.';
    setFieldErrors(found);
    if (Object.keys(found).length === 0) create.mutate();
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Create user" className="space-y-3">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="New username" value={values.username} onChange={set('username')} error={fieldErrors.username} data-testid="user-create-username" />
        <TextField label="New user's email" type="email" value={values.email} onChange={set('email')} error={fieldErrors.email} data-testid="user-create-email" />
        <TextField
          label="Initial password"
          type="password"
          autoComplete="new-password"
          value={values.password}
          onChange={set('password')}
          error={fieldErrors.password}
          data-testid="user-create-password"
        />
      </div>
      <TextField
        label="Document folders"
        hint="Folders inside the server's document roots this user may index, separated by “:”. Empty: none."
        value={values.roots}
        onChange={set('roots')}
        error={fieldErrors.document_roots}
        disabled={values.admin}
        data-testid="user-create-roots"
      />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={values.admin} onChange={(e) => setValues((current) => ({ ...current, admin: e.target.checked }))} data-testid="user-create-admin" />
        Administrator (may use every document root and manage users)
      </label>
      <FormError message={error} testId="user-create-error" />
      <Button type="submit" disabled={create.isPending} data-testid="user-create-submit">
        {create.isPending ? 'Creating…' : 'Create user'}
      </Button>
    </form>
  );
}

type Editing = 'roots' | 'password' | 'delete' | null;

function UserRow({ user }: { user: AdminUser }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState<Editing>(null);
  const [text, setText] = useState('');
  const done = (message: string) => {
    setEditing(null);
    setText('');
    void queryClient.invalidateQueries({ queryKey: adminUserKeys.all });
    toast.success(message);
  };
  const update = useMutation({ mutationFn: (changes: AdminUserChanges) => updateAdminUser(user.id, changes), onSuccess: () => done(`${user.username} updated.`), onError: toast.error });
  const reset = useMutation({
    mutationFn: () => resetAdminUserPassword(user.id, text),
    onSuccess: () => done(`Password of ${user.username} reset; their sessions were signed out.`),
    onError: toast.error,
  });
  const remove = useMutation({ mutationFn: () => deleteAdminUser(user.id), onSuccess: () => done(`${user.username} deleted.`), onError: toast.error });
  const roots = user.is_superuser ? 'all document roots' : user.document_roots === null ? 'not set' : user.document_roots.join(':') || 'none';
  const open = (what: Editing) => {
    setEditing(what);
    setText(what === 'roots' ? (user.document_roots ?? []).join(':') : '');
  };

  return (
    <li data-testid="user-row" data-username={user.username} className="space-y-2 py-3 text-sm">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="min-w-0">
          <p className="flex items-center gap-2 font-medium break-all">
            {user.username} <StatusBadge status={user.is_active ? 'active' : 'disabled'} />
            {user.is_superuser && <span className="text-xs text-indigo-700 dark:text-indigo-300">administrator</span>}
          </p>
          <p className="text-xs break-all text-slate-500 dark:text-slate-400">
            {user.email} · folders: <span data-testid="user-roots">{roots}</span>
          </p>
        </div>
        <div className="flex flex-wrap gap-1">
          <Button size="sm" variant="secondary" disabled={update.isPending} onClick={() => update.mutate({ is_active: !user.is_active })} aria-label={`${user.is_active ? 'Disable' : 'Enable'} ${user.username}`}>
            {user.is_active ? 'Disable' : 'Enable'}
          </Button>
          {!user.is_superuser && (
            <Button size="sm" variant="ghost" onClick={() => open('roots')} aria-label={`Edit folders of ${user.username}`}>
              Folders
            </Button>
          )}
          <Button size="sm" variant="ghost" onClick={() => open('password')} aria-label={`Reset password of ${user.username}`}>
            Reset password
          </Button>
          <Button size="sm" variant="ghost" className="text-red-700 dark:text-red-400" onClick={() => open('delete')} aria-label={`Delete ${user.username}`}>
            Delete
          </Button>
        </div>
      </div>
      {editing === 'roots' && (
        <InlineForm label={`Folders of ${user.username}`} value={text} onChange={setText} onCancel={() => setEditing(null)} busy={update.isPending} submitLabel="Save folders" onSubmit={() => update.mutate({ document_roots: parseRoots(text) })} />
      )}
      {editing === 'password' && (
        <InlineForm label={`New password for ${user.username}`} type="password" value={text} onChange={setText} onCancel={() => setEditing(null)} busy={reset.isPending} submitLabel="Set password" onSubmit={() => reset.mutate()} />
      )}
      {editing === 'delete' && (
        <div className="flex items-center gap-2">
          <span>Delete {user.username}? Their collections must be deleted first.</span>
          <Button size="sm" variant="danger" disabled={remove.isPending} onClick={() => remove.mutate()} data-testid="user-delete-confirm">
            Delete
          </Button>
          <Button size="sm" variant="secondary" onClick={() => setEditing(null)}>
            Keep
          </Button>
        </div>
      )}
    </li>
  );
}

interface InlineFormProps {
  label: string;
  value: string;
  type?: string;
  busy: boolean;
  submitLabel: string;
  onChange: (value: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
}

function InlineForm({ label, value, type = 'text', busy, submitLabel, onChange, onSubmit, onCancel }: InlineFormProps) {
  return (
    <form
      className="flex flex-col gap-2 sm:flex-row sm:items-end"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <div className="flex-1">
        <TextField label={label} type={type} value={value} onChange={(e) => onChange(e.target.value)} />
      </div>
      <Button type="submit" size="sm" disabled={busy}>
        {submitLabel}
      </Button>
      <Button size="sm" variant="secondary" onClick={onCancel}>
        Cancel
      </Button>
    </form>
  );
}
