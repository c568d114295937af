import { useState, type FormEvent } from 'react';
import type { Collection, SearchBody, SearchType } from '../api/api.types';
import { Button } from '../components/button';
import { inputClass } from '../components/field';
import { StatusBadge } from '../components/status';

export const MAX_SEARCH_COLLECTIONS = 10;
const searchTypes: { value: SearchType; label: string }[] = [
  { value: 'semantic', label: 'Semantic' },
  { value: 'keyword', label: 'Keyword' },
  { value: 'hybrid', label: 'Hybrid' },
];

interface SearchFormProps {
  collections: Collection[];
  busy: boolean;
  onSearch: (body: SearchBody) => void;
}

interface SearchErrors {
  query?: string;
  collections?: string;
  k?: string;
}

export function SearchForm({ collections, busy, onSearch }: SearchFormProps) {
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [searchType, setSearchType] = useState<SearchType>('hybrid');
  const [k, setK] = useState('10');
  const [errors, setErrors] = useState<SearchErrors>({});

  const toggle = (id: string, checked: boolean) =>
    setSelected((current) => (checked ? [...current, id].slice(0, MAX_SEARCH_COLLECTIONS) : current.filter((value) => value !== id)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: SearchErrors = {};
    if (!query.trim()) found.query = 'Enter something to search for.';
    if (selected.length === 0) found.collections = 'Choose at least one collection to search.';
    else if (selected.length > MAX_SEARCH_COLLECTIONS) found.collections = `Choose at most ${MAX_SEARCH_COLLECTIONS} collections.`;
    const kNumber = Number(k);
    if (!Number.isInteger(kNumber) || kNumber < 1 || kNumber > 100) found.k = 'Results must be a whole number from 1 to 100.';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    onSearch({ query: query.trim(), collection_uuids: selected, k: kNumber, search_type: searchType, include_content: true });
  };

  const atLimit = selected.length >= MAX_SEARCH_COLLECTIONS;

  return (
    <form onSubmit={submit} noValidate role="search" aria-label="Search documents" className="space-y-4">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
        <div className="flex-1 space-y-1">
          <label htmlFor="search-query" className="sr-only">
            Search query
          </label>
          <input
            id="search-query"
            type="search"
            placeholder="What are you looking for?"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            aria-invalid={errors.query ? true : undefined}
            aria-describedby={errors.query ? 'search-query-error' : undefined}
            data-testid="search-query-input"
            className={`${inputClass} text-base`}
          />
          {errors.query && (
            <p id="search-query-error" role="alert" className="text-sm text-red-600 dark:text-red-400">
              {errors.query}
            </p>
          )}
        </div>
        <Button type="submit" disabled={busy} data-testid="search-submit" className="sm:py-2.5">
          {busy ? 'Searching…' : 'Search'}
        </Button>
      </div>

      <div className="flex flex-wrap gap-4">
        <div className="space-y-1">
          <label htmlFor="search-type" className="block text-sm font-medium">
            Search type
          </label>
          <select id="search-type" value={searchType} onChange={(e) => setSearchType(e.target.value as SearchType)} data-testid="search-type-select" className={inputClass}>
            {searchTypes.map((type) => (
              <option key={type.value} value={type.value}>
                {type.label}
              </option>
            ))}
          </select>
        </div>
        <div className="w-28 space-y-1">
          <label htmlFor="search-k" className="block text-sm font-medium">
            Results (k)
          </label>
          <input id="search-k" type="number" min={1} max={100} value={k} onChange={(e) => setK(e.target.value)} data-testid="search-k-input" aria-invalid={errors.k ? true : undefined} className={inputClass} />
        </div>
      </div>
      {errors.k && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {errors.k}
        </p>
      )}

      <fieldset className="space-y-2" aria-describedby={errors.collections ? 'search-collections-error' : undefined}>
        <legend className="text-sm font-medium">
          Collections <span className="font-normal text-slate-500 dark:text-slate-400">({selected.length} of up to {MAX_SEARCH_COLLECTIONS} selected)</span>
        </legend>
        {collections.length === 0 ? (
          <p className="text-sm text-slate-500 dark:text-slate-400">No collections to search yet. Create one and add a source first.</p>
        ) : (
          <div className="flex flex-wrap gap-2">
            {collections.map((collection) => {
              const checked = selected.includes(collection.id);
              return (
                <label
                  key={collection.id}
                  className={`flex items-center gap-2 rounded-md border px-3 py-1.5 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500 ${checked ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950' : 'border-slate-300 dark:border-slate-700'}`}
                >
                  <input
                    type="checkbox"
                    checked={checked}
                    disabled={!checked && atLimit}
                    onChange={(e) => toggle(collection.id, e.target.checked)}
                    data-testid="search-collection-option"
                    data-collection-name={collection.name}
                    className="h-4 w-4 accent-indigo-600"
                  />
                  <span>{collection.name}</span>
                  {collection.status !== 'ready' && <StatusBadge status={collection.status} />}
                </label>
              );
            })}
          </div>
        )}
        {errors.collections && (
          <p id="search-collections-error" role="alert" className="text-sm text-red-600 dark:text-red-400">
            {errors.collections}
          </p>
        )}
      </fieldset>
    </form>
  );
}
