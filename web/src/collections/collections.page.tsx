import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { errorMessage } from '../api/api.error';
import { isOperationActive, type Collection, type Operation } from '../api/api.types';
import { Button } from '../components/button';
import { formatBytes, formatDate, formatNumber } from '../components/format';
import { EmptyState, ErrorPanel, Spinner, StatusBadge } from '../components/status';
import { useToast } from '../components/toast';
import { listRecentOperations, operationKeys } from '../operations/operation.api';
import { OperationProgressPanel, operationLabels } from '../operations/operation-progress';
import { isSetupPlaceholder } from '../operations/operation.events';
import { collectionKeys, listCollections } from './collection.api';
import { DeleteCollectionDialog, PublicToggle, RenameCollectionDialog } from './collection-actions';
import { CreateCollectionDialog } from './create-collection.dialog';

type OpenDialog = { kind: 'create' } | { kind: 'rename' | 'delete'; collection: Collection } | null;

function latestByCollection(operations: Operation[]): Map<string, Operation> {
  const latest = new Map<string, Operation>();
  for (const operation of operations) {
    if (isSetupPlaceholder(operation)) continue;
    const known = latest.get(operation.collection_id);
    if (!known || operation.created_at > known.created_at) latest.set(operation.collection_id, operation);
  }
  return latest;
}

export function CollectionsPage() {
  const navigate = useNavigate();
  const toast = useToast();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const collections = useQuery({ queryKey: collectionKeys.list(), queryFn: listCollections });
  const operations = useQuery({ queryKey: operationKeys.recent(), queryFn: listRecentOperations });
  const lastOperations = useMemo(() => latestByCollection(operations.data?.operations ?? []), [operations.data]);

  return (
    <section aria-labelledby="collections-title" className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 id="collections-title" className="text-2xl font-bold tracking-tight">
          Collections
        </h1>
        <Button data-testid="new-collection-button" onClick={() => setDialog({ kind: 'create' })}>
          New collection
        </Button>
      </div>

      {collections.isPending && <Spinner label="Loading collections…" />}
      {collections.isError && <ErrorPanel error={errorMessage(collections.error)} onRetry={() => void collections.refetch()} />}
      {collections.data && collections.data.collections.length === 0 && (
        <EmptyState title="No collections yet" testId="collections-empty">
          Create a collection, then add a folder of documents to index.
        </EmptyState>
      )}
      {collections.data && collections.data.collections.length > 0 && (
        <ul className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="collection-list">
          {collections.data.collections.map((collection) => (
            <CollectionCard
              key={collection.id}
              collection={collection}
              lastOperation={lastOperations.get(collection.id)}
              onRename={() => setDialog({ kind: 'rename', collection })}
              onDelete={() => setDialog({ kind: 'delete', collection })}
            />
          ))}
        </ul>
      )}

      {dialog?.kind === 'create' && (
        <CreateCollectionDialog
          onClose={() => setDialog(null)}
          onCreated={(collection) => {
            setDialog(null);
            toast.success(`Created “${collection.name}”. Add a source to index documents.`);
            navigate(`/collections/${collection.id}`);
          }}
        />
      )}
      {dialog?.kind === 'rename' && <RenameCollectionDialog collection={dialog.collection} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && <DeleteCollectionDialog collection={dialog.collection} onClose={() => setDialog(null)} />}
    </section>
  );
}

interface CollectionCardProps {
  collection: Collection;
  lastOperation: Operation | undefined;
  onRename: () => void;
  onDelete: () => void;
}

function CollectionCard({ collection, lastOperation, onRename, onDelete }: CollectionCardProps) {
  return (
    <li
      data-testid="collection-card"
      data-collection-id={collection.id}
      data-collection-name={collection.name}
      className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-start justify-between gap-2">
        <h2 className="min-w-0 font-semibold">
          <Link to={`/collections/${collection.id}`} className="break-words text-indigo-700 hover:underline dark:text-indigo-300" data-testid="collection-card-link">
            {collection.name}
          </Link>
        </h2>
        <StatusBadge status={collection.status} testId="collection-status" />
      </div>
      {collection.description && <p className="line-clamp-2 text-sm text-slate-600 dark:text-slate-400">{collection.description}</p>}
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-xs text-slate-500 dark:text-slate-400">Documents</dt>
          <dd data-testid="collection-document-count" className="font-medium tabular-nums">{formatNumber(collection.document_count)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500 dark:text-slate-400">Chunks</dt>
          <dd data-testid="collection-vector-count" className="font-medium tabular-nums">{formatNumber(collection.vector_count)}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500 dark:text-slate-400">Size</dt>
          <dd className="font-medium tabular-nums">{formatBytes(collection.total_size_bytes)}</dd>
        </div>
      </dl>
      <div className="text-sm" data-testid="collection-last-operation">
        {lastOperation && isOperationActive(lastOperation) ? (
          <OperationProgressPanel operation={lastOperation} compact />
        ) : lastOperation ? (
          <p className="flex flex-wrap items-center gap-2 text-slate-600 dark:text-slate-400">
            Last: {operationLabels[lastOperation.type] ?? lastOperation.type} <StatusBadge status={lastOperation.status} />
            <span className="text-xs">{formatDate(lastOperation.completed_at ?? lastOperation.created_at)}</span>
          </p>
        ) : (
          <p className="text-slate-500 dark:text-slate-400">No operations yet</p>
        )}
      </div>
      <div className="mt-auto flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-3 dark:border-slate-800">
        <PublicToggle collection={collection} />
        <div className="flex gap-1">
          <Button variant="ghost" size="sm" onClick={onRename} aria-label={`Rename ${collection.name}`} data-testid="collection-rename-button">
            Rename
          </Button>
          <Button variant="ghost" size="sm" onClick={onDelete} aria-label={`Delete ${collection.name}`} data-testid="collection-delete-button" className="text-red-700 dark:text-red-400">
            Delete
          </Button>
        </div>
      </div>
    </li>
  );
}
