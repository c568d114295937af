import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/api.error';
import type { Operation } from '../api/api.types';
import { Button } from '../components/button';
import { FormError, TextField } from '../components/field';
import { operationKeys } from '../operations/operation.api';
import { addSource, collectionKeys } from './collection.api';

/** Adds a folder on the server as a source. The server refuses paths outside its document roots (400). */
export function AddSourceForm({ collectionId, onStarted }: { collectionId: string; onStarted?: (operation: Operation) => void }) {
  const queryClient = useQueryClient();
  const [sourcePath, setSourcePath] = useState('');
  const [recursive, setRecursive] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const add = useMutation({
    mutationFn: () => addSource(collectionId, sourcePath.trim(), recursive),
    onSuccess: (operation) => {
      setSourcePath('');
      // Show the new operation at once; the refetch then brings the server's view.
      queryClient.setQueryData<Operation[]>(collectionKeys.operations(collectionId), (old) => [operation, ...(old ?? []).filter((o) => o.id !== operation.id)]);
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      onStarted?.(operation);
    },
    onError: (caught) => setError(errorMessage(caught)),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!sourcePath.trim()) {
      setError('Enter the path of a folder on the server.');
      return;
    }
    setError(null);
    add.mutate();
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="Add source">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
        <div className="flex-1">
          <TextField
            label="Folder path on the server"
            placeholder="/home/me/Documents/notes"
            value={sourcePath}
            onChange={(e) => setSourcePath(e.target.value)}
            data-testid="add-source-path-input"
            className="font-mono"
          />
        </div>
        <Button type="submit" disabled={add.isPending} data-testid="add-source-submit">
          {add.isPending ? 'Adding…' : 'Add source'}
        </Button>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} className="h-4 w-4 accent-indigo-600" />
        Include subfolders
      </label>
      <FormError message={error} testId="add-source-error" />
    </form>
  );
}
