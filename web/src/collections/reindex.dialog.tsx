import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/api.error';
import type { Collection, ReindexBody } from '../api/api.types';
import { Button } from '../components/button';
import { Dialog } from '../components/dialog';
import { FormError, TextField } from '../components/field';
import { useToast } from '../components/toast';
import { operationKeys } from '../operations/operation.api';
import { collectionKeys, reindexCollection } from './collection.api';
import { validateChunking } from './collection.validation';

export function ReindexDialog({ collection, onClose }: { collection: Collection; onClose: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [chunkSize, setChunkSize] = useState(String(collection.chunk_size));
  const [chunkOverlap, setChunkOverlap] = useState(String(collection.chunk_overlap));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const reindex = useMutation({
    mutationFn: (body: ReindexBody) => reindexCollection(collection.id, body),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      void queryClient.invalidateQueries({ queryKey: operationKeys.all });
      toast.success('Reindex started. Search keeps using the current index until it finishes.');
      onClose();
    },
    onError: (caught) => {
      setFormError(errorMessage(caught));
      if (caught instanceof ApiError) setFieldErrors(caught.fieldErrors);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const errors = validateChunking(chunkSize, chunkOverlap, true);
    setFieldErrors({ ...errors });
    if (Object.keys(errors).length > 0) return;
    const body: ReindexBody = {};
    if (Number(chunkSize) !== collection.chunk_size) body.chunk_size = Number(chunkSize);
    if (Number(chunkOverlap) !== collection.chunk_overlap) body.chunk_overlap = Number(chunkOverlap);
    reindex.mutate(body);
  };

  return (
    <Dialog title={`Reindex “${collection.name}”`} onClose={onClose} testId="reindex-dialog">
      <form onSubmit={submit} noValidate className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Rebuilds every chunk and vector. Change the chunking here, or keep it to re-embed with the same settings.
        </p>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <TextField label="Chunk size (tokens)" type="number" value={chunkSize} onChange={(e) => setChunkSize(e.target.value)} error={fieldErrors.chunk_size} data-testid="reindex-chunk-size-input" />
          <TextField label="Chunk overlap (tokens)" type="number" value={chunkOverlap} onChange={(e) => setChunkOverlap(e.target.value)} error={fieldErrors.chunk_overlap} data-testid="reindex-chunk-overlap-input" />
        </div>
        <FormError message={formError} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={reindex.isPending} data-testid="reindex-submit">
            {reindex.isPending ? 'Starting…' : 'Start reindex'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
