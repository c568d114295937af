import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/api.error';
import type { SearchResponse, SearchResult } from '../api/api.types';
import { collectionKeys, listCollections } from '../collections/collection.api';
import { EmptyState, ErrorPanel, Spinner } from '../components/status';
import { DocumentViewerDialog } from './document-viewer.dialog';
import { search } from './search.api';
import { SearchForm } from './search.form';
import { ResultSnippet } from './snippet';

export function SearchPage() {
  const collections = useQuery({ queryKey: collectionKeys.list(), queryFn: listCollections });
  const [viewing, setViewing] = useState<SearchResult | null>(null);
  const run = useMutation({ mutationFn: search });

  return (
    <section aria-labelledby="search-title" className="space-y-6">
      <h1 id="search-title" className="text-2xl font-bold tracking-tight">
        Search
      </h1>
      {collections.isPending && <Spinner label="Loading collections…" />}
      {collections.isError && <ErrorPanel error={errorMessage(collections.error)} onRetry={() => void collections.refetch()} />}
      {collections.data && <SearchForm collections={collections.data.collections} busy={run.isPending} onSearch={(body) => run.mutate(body)} />}

      {run.isError && (
        <div data-testid="search-error">
          <ErrorPanel error={errorMessage(run.error)} />
        </div>
      )}
      {run.isPending && <Spinner label="Searching…" />}
      {run.data && <SearchResults response={run.data} onOpen={setViewing} />}

      {viewing && (
        <DocumentViewerDialog collectionId={viewing.collection_id} documentId={viewing.document_id} fileName={viewing.file_name} onClose={() => setViewing(null)} />
      )}
    </section>
  );
}

function SearchResults({ response, onOpen }: { response: SearchResponse; onOpen: (result: SearchResult) => void }) {
  if (response.results.length === 0) {
    return (
      <EmptyState title="No results" testId="search-no-results">
        Try other words, another search type, or more collections.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="search-summary">
        {response.total_results} results in {Math.round(response.search_time_ms)} ms ({response.search_type})
      </p>
      <ol className="space-y-3" data-testid="search-results">
        {response.results.map((result) => (
          <li key={`${result.chunk_id}-${result.document_id}`} data-testid="search-result" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <button
                type="button"
                onClick={() => onOpen(result)}
                data-testid="search-result-open"
                className="text-left font-medium break-all text-indigo-700 hover:underline dark:text-indigo-300"
                title={result.file_path}
              >
                {result.file_name}
              </button>
              <span className="text-xs text-slate-500 tabular-nums dark:text-slate-400" data-testid="search-result-score">
                score {result.score.toFixed(3)}
              </span>
            </div>
            <p className="text-xs text-slate-500 dark:text-slate-400">{result.collection_name}</p>
            {(result.snippet?.text || result.text) && (
              <p className="mt-2 line-clamp-4 text-sm whitespace-pre-line text-slate-700 dark:text-slate-300" data-testid="search-result-snippet">
                <ResultSnippet snippet={result.snippet} text={result.text} query={response.query} />
              </p>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
