import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/api.error';
import type { Collection, Operation } from '../api/api.types';
import { Button } from '../components/button';
import { Dialog } from '../components/dialog';
import { FormError, TextField } from '../components/field';
import { useToast } from '../components/toast';
import { operationKeys } from '../operations/operation.api';
import { collectionKeys, deleteCollection, syncCollection, updateCollection } from './collection.api';

export function RenameCollectionDialog({ collection, onClose }: { collection: Collection; onClose: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(collection.name);
  const [error, setError] = useState<string | null>(null);
  const rename = useMutation({
    mutationFn: (newName: string) => updateCollection(collection.id, { name: newName }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      toast.success('Collection renamed.');
      onClose();
    },
    onError: (caught) => setError(caught instanceof ApiError ? (caught.fieldErrors.name ?? caught.detail) : errorMessage(caught)),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('Enter a name for the collection.');
      return;
    }
    setError(null);
    rename.mutate(name.trim());
  };

  return (
    <Dialog title={`Rename “${collection.name}”`} onClose={onClose} testId="rename-collection-dialog">
      <form onSubmit={submit} noValidate className="space-y-4">
        <TextField label="New name" value={name} onChange={(e) => setName(e.target.value)} error={error ?? undefined} data-testid="rename-collection-input" />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={rename.isPending} data-testid="rename-collection-submit">
            Rename
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

export function DeleteCollectionDialog({ collection, onClose, onDeleted }: { collection: Collection; onClose: () => void; onDeleted?: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: () => deleteCollection(collection.id),
    onSuccess: (operation: Operation | undefined) => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      toast.success(operation ? `Deleting “${collection.name}”…` : `Deleted “${collection.name}”.`);
      onClose();
      onDeleted?.();
    },
    onError: (caught) => setError(errorMessage(caught)),
  });
  const confirmed = typed === collection.name;

  return (
    <Dialog title="Delete collection" onClose={onClose} testId="delete-collection-dialog">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (confirmed) remove.mutate();
        }}
        className="space-y-4"
      >
        <p className="text-sm">
          This deletes <strong className="break-all">{collection.name}</strong>, its {collection.document_count} documents and their vectors. The files on disk are
          not touched. This cannot be undone.
        </p>
        <TextField
          label={
            <>
              Type <code className="rounded bg-slate-100 px-1 dark:bg-slate-800">{collection.name}</code> to confirm
            </>
          }
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          data-testid="delete-collection-confirm-input"
        />
        <FormError message={error} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" disabled={!confirmed || remove.isPending} data-testid="delete-collection-submit">
            {remove.isPending ? 'Deleting…' : 'Delete collection'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** A switch that flips `is_public` with PUT. */
export function PublicToggle({ collection }: { collection: Collection }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const toggle = useMutation({
    mutationFn: (isPublic: boolean) => updateCollection(collection.id, { is_public: isPublic }),
    onSuccess: (updated) => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      toast.success(updated.is_public ? 'Collection is now public.' : 'Collection is now private.');
    },
    onError: toast.error,
  });
  const isPublic = toggle.isPending ? !collection.is_public : collection.is_public;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={isPublic}
      aria-label={`Public: ${collection.name}`}
      data-testid="collection-public-toggle"
      disabled={toggle.isPending}
      onClick={() => toggle.mutate(!collection.is_public)}
      className="inline-flex items-center gap-2 rounded-md px-1 py-0.5 text-sm"
    >
      <span aria-hidden="true" className={`relative inline-flex h-5 w-9 items-center rounded-full transition-colors ${isPublic ? 'bg-indigo-600' : 'bg-slate-300 dark:bg-slate-600'}`}>
        <span className={`inline-block h-4 w-4 rounded-full bg-white shadow transition-transform ${isPublic ? 'translate-x-4.5' : 'translate-x-0.5'}`} />
      </span>
      <span>{isPublic ? 'Public' : 'Private'}</span>
    </button>
  );
}

/**
 * Brings every source in step with its folder: new files indexed, changed ones re-indexed, deleted
 * ones removed from search (POST …/sync). A 409 (another operation running) is shown as is.
 */
export function SyncButton({ collection }: { collection: Collection }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const sync = useMutation({
    mutationFn: () => syncCollection(collection.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      toast.success(`Syncing “${collection.name}” with its folders…`);
    },
    onError: toast.error,
  });
  return (
    <Button variant="secondary" size="sm" onClick={() => sync.mutate()} disabled={sync.isPending} data-testid="collection-sync-button">
      {sync.isPending ? 'Syncing…' : 'Sync'}
    </Button>
  );
}
