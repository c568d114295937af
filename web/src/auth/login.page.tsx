import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../api/api.error';
import { Button } from '../components/button';
import { FormError, TextField } from '../components/field';
import { ThemeToggle } from '../components/theme';
import { getRegistrationStatus, login, register, registrationKeys } from './auth.api';
import { useIsAuthenticated } from './session';

type Mode = 'login' | 'register';

export function LoginPage() {
  const authenticated = useIsAuthenticated();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (authenticated) return <Navigate to={from} replace />;

  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-10">
      <div className="absolute top-3 right-3">
        <ThemeToggle />
      </div>
      <div className="w-full max-w-sm">
        <h1 className="mb-1 text-center text-2xl font-bold tracking-tight">Semantik</h1>
        <p className="mb-6 text-center text-sm text-slate-500 dark:text-slate-400">Search your own documents by meaning.</p>
        <AuthForms redirectTo={from} />
      </div>
    </div>
  );
}

export function AuthForms({ redirectTo = '/' }: { redirectTo?: string }) {
  const [mode, setMode] = useState<Mode>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const navigate = useNavigate();
  // Unknown (still loading, or an older server without the endpoint): offer sign-up, the server decides.
  const registration = useQuery({ queryKey: registrationKeys.status, queryFn: getRegistrationStatus, retry: false });
  const firstUser = registration.data?.first_user ?? false;
  const canRegister = registration.isPending ? false : (registration.data?.open ?? true);

  const onLoggedIn = () => navigate(redirectTo, { replace: true });

  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      {mode === 'login' ? (
        <LoginForm
          username={username}
          password={password}
          onUsername={setUsername}
          onPassword={setPassword}
          onSuccess={onLoggedIn}
        />
      ) : (
        <RegisterForm initialUsername={username} onSuccess={onLoggedIn} />
      )}

      {mode === 'login' && firstUser && (
        // A fresh install: the first registered user becomes the administrator.
        <div data-testid="first-run-offer" className="mt-4 rounded-md bg-indigo-50 p-3 text-sm text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100">
          <p>Fresh installation with no accounts yet? The first account becomes the administrator.</p>
          <Button variant="secondary" size="sm" className="mt-2" data-testid="create-admin-account" onClick={() => setMode('register')}>
            Create the admin account
          </Button>
        </div>
      )}

      <p className="mt-5 text-center text-sm text-slate-600 dark:text-slate-400">
        {mode === 'login' && canRegister ? (
          <>
            No account?{' '}
            <button type="button" data-testid="show-register" className="font-medium text-indigo-600 underline dark:text-indigo-400" onClick={() => setMode('register')}>
              Create one
            </button>
          </>
        ) : mode === 'login' ? (
          registration.data && <span data-testid="registration-closed">No account? An administrator creates accounts on this server.</span>
        ) : (
          <>
            Already registered?{' '}
            <button type="button" data-testid="show-login" className="font-medium text-indigo-600 underline dark:text-indigo-400" onClick={() => setMode('login')}>
              Sign in
            </button>
          </>
        )}
      </p>
    </div>
  );
}

interface LoginFormProps {
  username: string;
  password: string;
  onUsername: (value: string) => void;
  onPassword: (value: string) => void;
  onSuccess: () => void;
}

function LoginForm({ username, password, onUsername, onPassword, onSuccess }: LoginFormProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await login(username.trim(), password);
      onSuccess();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-labelledby="login-title" noValidate>
      <h2 id="login-title" className="text-lg font-semibold">
        Sign in
      </h2>
      <TextField label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => onUsername(e.target.value)} data-testid="login-username" />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => onPassword(e.target.value)} data-testid="login-password" />
      <FormError message={error} testId="login-error" />
      <Button type="submit" className="w-full" disabled={busy || !username.trim() || !password} data-testid="login-submit">
        {busy ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}

function RegisterForm({ initialUsername, onSuccess }: { initialUsername: string; onSuccess: () => void }) {
  const [values, setValues] = useState({ username: initialUsername, email: '', password: '', full_name: '' });
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const set = (field: keyof typeof values) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [field]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    const local: Record<string, string> = {};
    if (!values.username.trim()) local.username = 'Choose a username.';
    if (!/^\S+@\S+\.\S+$/.test(values.email.trim())) local.email = 'Enter a valid email address.';
    if (!values.password) local.password = 'Choose a password.';
    if (Object.keys(local).length > 0) {
      setFieldErrors(local);
      return;
    }
    setBusy(true);
    try {
      await register({
        username: values.username.trim(),
        email: values.email.trim(),
        password: values.password,
        ...(values.full_name.trim() ? { full_name: values.full_name.trim() } : {}),
      });
      await login(values.username.trim(), values.password);
      onSuccess();
    } catch (caught) {
      setError(errorMessage(caught));
      if (caught instanceof ApiError) setFieldErrors(caught.fieldErrors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-labelledby="register-title" noValidate>
      <h2 id="register-title" className="text-lg font-semibold">
        Create account
      </h2>
      <TextField label="Username" autoComplete="username" value={values.username} onChange={set('username')} error={fieldErrors.username} data-testid="register-username" />
      <TextField label="Email" type="email" autoComplete="email" value={values.email} onChange={set('email')} error={fieldErrors.email} data-testid="register-email" />
      <TextField label="Password" type="password" autoComplete="new-password" value={values.password} onChange={set('password')} error={fieldErrors.password} data-testid="register-password" />
      <TextField label="Full name (optional)" autoComplete="name" value={values.full_name} onChange={set('full_name')} error={fieldErrors.full_name} data-testid="register-full-name" />
      <FormError message={error} testId="register-error" />
      <Button type="submit" className="w-full" disabled={busy} data-testid="register-submit">
        {busy ? 'Creating account…' : 'Create account'}
      </Button>
    </form>
  );
}
