import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '../api/api.error';
import type { ApiKeyScope } from '../api/api.types';
import { collectionKeys, listCollections } from '../collections/collection.api';
import { Spinner } from '../components/status';

export interface ApiKeyScopeValue {
  scope: ApiKeyScope;
  /** `null`: every collection the user can reach. */
  collectionIds: string[] | null;
}

/**
 * What a new key may do: read-only is preselected (least privilege: most keys feed search scripts),
 * and it may be limited to some collections. The server checks both on every request.
 */
export function ApiKeyScopeFields({ value, onChange, error }: { value: ApiKeyScopeValue; onChange: (next: ApiKeyScopeValue) => void; error?: string }) {
  const limited = value.collectionIds !== null;
  // Only fetched when the user chooses to limit the key: the panel needs nothing else from collections.
  const collections = useQuery({ queryKey: collectionKeys.list(), queryFn: listCollections, enabled: limited });
  const toggle = (id: string, on: boolean) => {
    const current = value.collectionIds ?? [];
    onChange({ ...value, collectionIds: on ? [...current, id] : current.filter((c) => c !== id) });
  };

  return (
    <div className="space-y-3">
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium">Access</legend>
        <div className="flex flex-wrap gap-x-5 gap-y-1 text-sm">
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="api-key-scope"
              checked={value.scope === 'read'}
              onChange={() => onChange({ ...value, scope: 'read' })}
              className="h-4 w-4 accent-indigo-600"
              data-testid="api-key-scope-read"
            />
            Read-only (search and read)
          </label>
          <label className="flex items-center gap-2">
            <input
              type="radio"
              name="api-key-scope"
              checked={value.scope === 'full'}
              onChange={() => onChange({ ...value, scope: 'full' })}
              className="h-4 w-4 accent-indigo-600"
              data-testid="api-key-scope-full"
            />
            Full access (also change collections)
          </label>
        </div>
      </fieldset>

      <fieldset className="space-y-2" aria-describedby={error ? 'api-key-collections-error' : undefined}>
        <legend className="sr-only">Collections</legend>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={limited}
            onChange={(e) => onChange({ ...value, collectionIds: e.target.checked ? [] : null })}
            className="h-4 w-4 accent-indigo-600"
            data-testid="api-key-limit-collections"
          />
          Only some collections
        </label>
        {limited && collections.isPending && <Spinner label="Loading collections…" />}
        {limited && collections.isError && <p className="text-sm text-red-600 dark:text-red-400">{errorMessage(collections.error)}</p>}
        {limited && collections.data && (
          <div className="flex flex-wrap gap-2">
            {collections.data.collections.length === 0 && <p className="text-sm text-slate-500 dark:text-slate-400">No collections yet.</p>}
            {collections.data.collections.map((collection) => (
              <label key={collection.id} className="flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                <input
                  type="checkbox"
                  checked={value.collectionIds?.includes(collection.id) ?? false}
                  onChange={(e) => toggle(collection.id, e.target.checked)}
                  className="h-4 w-4 accent-indigo-600"
                  data-testid="api-key-collection-option"
                />
                {collection.name}
              </label>
            ))}
          </div>
        )}
        {error && (
          <p id="api-key-collections-error" role="alert" className="text-sm text-red-600 dark:text-red-400">
            {error}
          </p>
        )}
      </fieldset>
    </div>
  );
}
