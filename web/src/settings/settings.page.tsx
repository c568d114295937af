import { useCurrentUser } from '../auth/session';
import { formatDate } from '../components/format';
import { UsersPanel } from '../users/users.panel';
import { ApiKeysPanel } from './api-keys.panel';
import { ChangePasswordForm } from './password.form';

export function SettingsPage() {
  const me = useCurrentUser();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Settings</h1>
      {me.data && (
        <section aria-labelledby="account-title" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h2 id="account-title" className="mb-2 font-semibold">
            Account
          </h2>
          <dl className="grid grid-cols-[8rem_1fr] gap-1 text-sm">
            <dt className="text-slate-500 dark:text-slate-400">Username</dt>
            <dd data-testid="account-username">{me.data.username}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Email</dt>
            <dd className="break-all">{me.data.email}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Role</dt>
            <dd>{me.data.is_superuser ? 'Administrator' : 'User'}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Last login</dt>
            <dd>{formatDate(me.data.last_login)}</dd>
          </dl>
        </section>
      )}
      <section aria-labelledby="password-title" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h2 id="password-title" className="mb-1 font-semibold">
          Password
        </h2>
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">Changing it signs you out everywhere.</p>
        <ChangePasswordForm />
      </section>
      <section aria-labelledby="api-keys-title" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h2 id="api-keys-title" className="mb-1 font-semibold">
          API keys
        </h2>
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
          Send a key as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key: &lt;key&gt;</code>. Revoking a key stops it at once.
        </p>
        <ApiKeysPanel />
      </section>
      {me.data?.is_superuser && (
        <section aria-labelledby="users-title" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h2 id="users-title" className="mb-1 font-semibold">
            Users
          </h2>
          <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
            Create accounts, disable or delete them, reset passwords, and choose which document folders each user may index.
          </p>
          <UsersPanel />
        </section>
      )}
    </div>
  );
}
