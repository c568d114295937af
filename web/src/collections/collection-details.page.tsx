import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, errorMessage } from '../api/api.error';
import type { CollectionDetails, CollectionSource } from '../api/api.types';
import { Button } from '../components/button';
import { formatBytes, formatDate, formatNumber } from '../components/format';
import { EmptyState, ErrorPanel, Spinner, StatusBadge } from '../components/status';
import { useToast } from '../components/toast';
import { operationKeys } from '../operations/operation.api';
import { OperationProgressPanel } from '../operations/operation-progress';
import { isSetupPlaceholder } from '../operations/operation.events';
import { OperationsHistory } from '../operations/operations-history';
import { AddSourceForm } from './add-source.form';
import { collectionKeys, getCollection, listCollectionOperations, removeSource } from './collection.api';
import { DeleteCollectionDialog, PublicToggle, RenameCollectionDialog, SyncButton } from './collection-actions';
import { DocumentsTable } from './documents.table';
import { ReindexDialog } from './reindex.dialog';
import { SourceSchedule } from './source-schedule';

function Panel({ title, children, testId, actions }: { title: string; children: ReactNode; testId?: string; actions?: ReactNode }) {
  return (
    <section data-testid={testId} aria-label={title} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

type OpenDialog = 'rename' | 'delete' | 'reindex' | null;

export function CollectionDetailsPage() {
  const { collectionId = '' } = useParams();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const collection = useQuery({ queryKey: collectionKeys.detail(collectionId), queryFn: () => getCollection(collectionId) });
  const operations = useQuery({ queryKey: collectionKeys.operations(collectionId), queryFn: () => listCollectionOperations(collectionId) });

  if (collection.isPending) return <Spinner label="Loading collection…" />;
  if (collection.isError) {
    const notFound = collection.error instanceof ApiError && collection.error.status === 404;
    return (
      <div className="space-y-4">
        <ErrorPanel error={notFound ? 'This collection does not exist, or you do not have access to it.' : errorMessage(collection.error)} />
        <Link to="/" className="text-sm text-indigo-700 underline dark:text-indigo-300">
          Back to collections
        </Link>
      </div>
    );
  }
  const data = collection.data;
  const latestOperation = operations.data?.find((operation) => !isSetupPlaceholder(operation));

  return (
    <div className="space-y-6" data-testid="collection-details" data-collection-id={data.id}>
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/" className="text-indigo-700 hover:underline dark:text-indigo-300">
          Collections
        </Link>{' '}
        / <span className="break-all">{data.name}</span>
      </nav>
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0 space-y-1">
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-bold tracking-tight break-all">
            <span data-testid="collection-title">{data.name}</span>
            <StatusBadge status={data.status} testId="collection-status" />
          </h1>
          {data.description && <p className="text-slate-600 dark:text-slate-400">{data.description}</p>}
          {data.status_message && <p className="text-sm text-slate-500 dark:text-slate-400">{data.status_message}</p>}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <PublicToggle collection={data} />
          <Button variant="secondary" size="sm" onClick={() => setDialog('rename')} data-testid="collection-rename-button">
            Rename
          </Button>
          {data.sources.length > 0 && <SyncButton collection={data} />}
          <Button variant="secondary" size="sm" onClick={() => setDialog('reindex')} data-testid="reindex-button">
            Reindex
          </Button>
          <Button variant="danger" size="sm" onClick={() => setDialog('delete')} data-testid="collection-delete-button">
            Delete
          </Button>
        </div>
      </header>

      {data.needs_reindex && (
        <div role="status" data-testid="needs-reindex-notice" className="flex flex-wrap items-center justify-between gap-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          <span>This collection needs a reindex: its settings changed since the documents were embedded, so results may be incomplete.</span>
          <Button size="sm" onClick={() => setDialog('reindex')}>
            Reindex now
          </Button>
        </div>
      )}

      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <Stat label="Documents" value={formatNumber(data.document_count)} testId="collection-document-count" />
        <Stat label="Chunks" value={formatNumber(data.vector_count)} testId="collection-vector-count" />
        <Stat label="Size" value={formatBytes(data.total_size_bytes)} />
        <Stat label="Model" value={data.embedding_model} />
        <Stat label="Chunking" value={`${data.chunk_size} / ${data.chunk_overlap} overlap`} />
        <Stat label="Updated" value={formatDate(data.updated_at)} />
      </dl>

      {latestOperation && (
        <Panel title="Latest operation" testId="latest-operation">
          <OperationProgressPanel key={latestOperation.id} operation={latestOperation} />
        </Panel>
      )}

      <Panel title="Sources" testId="sources-panel">
        <div className="space-y-4">
          <AddSourceForm collectionId={data.id} />
          <SourcesList collectionId={data.id} sources={data.sources ?? []} />
        </div>
      </Panel>

      <Panel title="Documents" testId="documents-panel">
        <DocumentsTable collectionId={data.id} />
      </Panel>

      <Panel title="Operations history" testId="operations-panel">
        {operations.isPending ? <Spinner /> : operations.isError ? <ErrorPanel error={errorMessage(operations.error)} /> : <OperationsHistory operations={operations.data} />}
      </Panel>

      {dialog === 'rename' && <RenameCollectionDialog collection={data} onClose={() => setDialog(null)} />}
      {dialog === 'reindex' && <ReindexDialog collection={data} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && <DeleteCollectionDialog collection={data} onClose={() => setDialog(null)} onDeleted={() => navigate('/')} />}
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="min-w-0 rounded-md bg-slate-50 px-3 py-2 dark:bg-slate-900">
      <dt className="text-xs text-slate-500 dark:text-slate-400">{label}</dt>
      <dd data-testid={testId} className="font-medium tabular-nums wrap-anywhere">
        {value}
      </dd>
    </div>
  );
}

function SourcesList({ collectionId, sources }: { collectionId: string; sources: CollectionSource[] }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: (sourcePath: string) => removeSource(collectionId, sourcePath),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      toast.success('Removing the source and its documents…');
    },
    onError: toast.error,
  });

  if (sources.length === 0) return <EmptyState title="No sources yet" testId="sources-empty">Add a folder above to start indexing.</EmptyState>;
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800" data-testid="sources-list">
      {sources.map((source) => (
        <li key={source.id} data-testid="source-row" className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
          <div className="min-w-0">
            <p className="font-mono break-all">{source.source_path}</p>
            <p className="text-xs text-slate-500 dark:text-slate-400">
              {formatNumber(source.document_count)} documents · {formatBytes(source.size_bytes)} · indexed {formatDate(source.last_indexed_at)}
            </p>
            <SourceSchedule collectionId={collectionId} source={source} />
          </div>
          <Button
            variant="ghost"
            size="sm"
            className="text-red-700 dark:text-red-400"
            aria-label={`Remove source ${source.source_path}`}
            data-testid="remove-source-button"
            disabled={remove.isPending}
            onClick={() => {
              if (confirm(`Remove ${source.source_path} and its documents from this collection?`)) remove.mutate(source.source_path);
            }}
          >
            Remove
          </Button>
        </li>
      ))}
    </ul>
  );
}
