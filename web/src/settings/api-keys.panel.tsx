import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/api.error';
import type { ApiKey, CreatedApiKey } from '../api/api.types';
import { Button } from '../components/button';
import { FormError, TextField } from '../components/field';
import { formatDate } from '../components/format';
import { EmptyState, ErrorPanel, Spinner, StatusBadge } from '../components/status';
import { useToast } from '../components/toast';
import { apiKeyKeys, createApiKey, listApiKeys, revokeApiKey } from './api-key.api';
import { ApiKeyScopeFields, type ApiKeyScopeValue } from './api-key-scope.fields';

const INITIAL_SCOPE: ApiKeyScopeValue = { scope: 'read', collectionIds: null };

export function ApiKeysPanel() {
  const keys = useQuery({ queryKey: apiKeyKeys.all, queryFn: listApiKeys });
  // The secret is returned once, by the create call; it lives only in this state until dismissed.
  const [created, setCreated] = useState<CreatedApiKey | null>(null);

  return (
    <div className="space-y-5">
      <CreateApiKeyForm onCreated={setCreated} />
      {created && <NewKeyNotice apiKey={created} onDismiss={() => setCreated(null)} />}
      {keys.isPending && <Spinner label="Loading API keys…" />}
      {keys.isError && <ErrorPanel error={errorMessage(keys.error)} onRetry={() => void keys.refetch()} />}
      {keys.data && <ApiKeyList keys={keys.data} />}
    </div>
  );
}

function CreateApiKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [scope, setScope] = useState<ApiKeyScopeValue>(INITIAL_SCOPE);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      createApiKey({
        name: name.trim(),
        ...(days.trim() ? { expires_in_days: Number(days) } : {}),
        scope: scope.scope,
        ...(scope.collectionIds ? { collection_ids: scope.collectionIds } : {}),
      }),
    onSuccess: (key) => {
      setName('');
      setDays('');
      setScope(INITIAL_SCOPE);
      void queryClient.invalidateQueries({ queryKey: apiKeyKeys.all });
      onCreated(key);
    },
    onError: (caught) => {
      setError(errorMessage(caught));
      if (caught instanceof ApiError) setFieldErrors(caught.fieldErrors);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = 'Give the key a name, e.g. the script that will use it.';
    if (days.trim() && (!Number.isInteger(Number(days)) || Number(days) < 1)) found.expires_in_days = 'Enter a whole number of days, 1 or more, or leave empty.';
    if (scope.collectionIds?.length === 0) found.collection_ids = 'Pick at least one collection, or untick “Only some collections”.';
    setFieldErrors(found);
    if (Object.keys(found).length === 0) create.mutate();
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Create API key" className="space-y-3">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end">
        <TextField label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={fieldErrors.name} data-testid="api-key-name-input" />
        <TextField
          label="Expires in days (optional)"
          type="number"
          min={1}
          value={days}
          onChange={(e) => setDays(e.target.value)}
          error={fieldErrors.expires_in_days}
          data-testid="api-key-expiry-input"
        />
        <Button type="submit" disabled={create.isPending} data-testid="api-key-create-submit">
          {create.isPending ? 'Creating…' : 'Create key'}
        </Button>
      </div>
      <ApiKeyScopeFields value={scope} onChange={setScope} error={fieldErrors.collection_ids} />
      <FormError message={error} testId="api-key-create-error" />
    </form>
  );
}

function NewKeyNotice({ apiKey, onDismiss }: { apiKey: CreatedApiKey; onDismiss: () => void }) {
  const toast = useToast();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(apiKey.key);
      toast.success('API key copied to the clipboard.');
    } catch {
      toast.show('Copy failed: select the key and copy it by hand.', 'error');
    }
  };
  return (
    <div role="status" data-testid="api-key-created" className="space-y-2 rounded-md border border-emerald-300 bg-emerald-50 p-4 text-sm dark:border-emerald-800 dark:bg-emerald-950">
      <p className="font-medium">Key “{apiKey.name}” created. Copy it now: it will not be shown again.</p>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="api-key-value" className="flex-1 rounded bg-white px-2 py-1.5 font-mono text-xs break-all select-all dark:bg-slate-900">
          {apiKey.key}
        </code>
        <div className="flex gap-2">
          <Button size="sm" onClick={() => void copy()} data-testid="api-key-copy">
            Copy
          </Button>
          <Button size="sm" variant="secondary" onClick={onDismiss} data-testid="api-key-dismiss">
            Done
          </Button>
        </div>
      </div>
    </div>
  );
}

function ApiKeyList({ keys }: { keys: ApiKey[] }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState<ApiKey['id'] | null>(null);
  const revoke = useMutation({
    mutationFn: revokeApiKey,
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: apiKeyKeys.all });
      toast.success('API key revoked.');
    },
    onError: toast.error,
  });

  if (keys.length === 0) return <EmptyState title="No API keys" testId="api-keys-empty">Create a key to call the API from scripts.</EmptyState>;
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800" data-testid="api-key-list">
      {keys.map((key) => (
        <li key={key.id} data-testid="api-key-row" data-key-name={key.name} className="flex flex-wrap items-center justify-between gap-2 py-3 text-sm">
          <div className="min-w-0">
            <p className="flex items-center gap-2 font-medium break-all">
              {key.name} <StatusBadge status={key.is_active ? 'active' : 'revoked'} />
            </p>
            <p className="text-xs text-slate-500 dark:text-slate-400" data-testid="api-key-scope">
              {key.scope === 'read' ? 'Read-only' : 'Full access'} ·{' '}
              {key.collection_ids ? `${key.collection_ids.length} collection${key.collection_ids.length === 1 ? '' : 's'}` : 'all collections'}
            </p>
            <p className="text-xs text-slate-500 dark:text-slate-400">
              Created {formatDate(key.created_at)} · {key.expires_at ? `expires ${formatDate(key.expires_at)}` : 'never expires'} ·{' '}
              {key.last_used_at ? `last used ${formatDate(key.last_used_at)}` : 'never used'}
            </p>
          </div>
          {confirming === key.id ? (
            <div className="flex items-center gap-2">
              <span>Revoke this key?</span>
              <Button size="sm" variant="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(key.id)} data-testid="api-key-revoke-confirm">
                Revoke
              </Button>
              <Button size="sm" variant="secondary" onClick={() => setConfirming(null)}>
                Keep
              </Button>
            </div>
          ) : (
            <Button size="sm" variant="ghost" className="text-red-700 dark:text-red-400" aria-label={`Revoke ${key.name}`} onClick={() => setConfirming(key.id)} data-testid="api-key-revoke">
              Revoke
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}
