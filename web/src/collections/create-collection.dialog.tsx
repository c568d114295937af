import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/api.error';
import type { Collection } from '../api/api.types';
import { Button } from '../components/button';
import { FormError, TextAreaField, TextField } from '../components/field';
import { Dialog } from '../components/dialog';
import { collectionKeys, createCollection, listEmbeddingModels } from './collection.api';
import {
  CHUNK_SIZE_MAX,
  CHUNK_SIZE_MIN,
  DEFAULT_CHUNK_OVERLAP,
  DEFAULT_CHUNK_SIZE,
  validateChunking,
} from './collection.validation';

interface FormValues {
  name: string;
  description: string;
  /** Empty: the server's DEFAULT_EMBEDDING_MODEL (the field is then not sent). */
  embedding_model: string;
  chunk_size: string;
  chunk_overlap: string;
  is_public: boolean;
}

const initialValues: FormValues = {
  name: '',
  description: '',
  embedding_model: '',
  chunk_size: String(DEFAULT_CHUNK_SIZE),
  chunk_overlap: String(DEFAULT_CHUNK_OVERLAP),
  is_public: false,
};

export function CreateCollectionDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (collection: Collection) => void }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<FormValues>(initialValues);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  // Suggestions only: the form works (and the server picks its default) while this loads or fails.
  const models = useQuery({ queryKey: collectionKeys.embeddingModels(), queryFn: listEmbeddingModels, staleTime: Infinity });

  const create = useMutation({
    mutationFn: createCollection,
    onSuccess: (collection) => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      onCreated(collection);
    },
    onError: (error) => {
      setFormError(errorMessage(error));
      if (error instanceof ApiError) setFieldErrors(error.fieldErrors);
    },
  });

  const set = <K extends keyof FormValues>(field: K, value: FormValues[K]) => setValues((current) => ({ ...current, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const errors: Record<string, string> = { ...validateChunking(values.chunk_size, values.chunk_overlap, true) };
    if (!values.name.trim()) errors.name = 'Enter a name for the collection.';
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    create.mutate({
      name: values.name.trim(),
      ...(values.description.trim() ? { description: values.description.trim() } : {}),
      ...(values.embedding_model.trim() ? { embedding_model: values.embedding_model.trim() } : {}),
      chunk_size: Number(values.chunk_size),
      chunk_overlap: Number(values.chunk_overlap),
      is_public: values.is_public,
    });
  };

  return (
    <Dialog title="Create collection" onClose={onClose} testId="create-collection-dialog">
      <form onSubmit={submit} noValidate className="space-y-4">
        <TextField label="Name" value={values.name} onChange={(e) => set('name', e.target.value)} error={fieldErrors.name} data-testid="collection-name-input" data-autofocus />
        <TextAreaField label="Description (optional)" rows={2} value={values.description} onChange={(e) => set('description', e.target.value)} error={fieldErrors.description} data-testid="collection-description-input" />
        <TextField
          label="Embedding model"
          list="embedding-model-suggestions"
          value={values.embedding_model}
          placeholder={models.data ? `Server default: ${models.data.default_model}` : 'Server default'}
          onChange={(e) => set('embedding_model', e.target.value)}
          error={fieldErrors.embedding_model}
          hint="Leave empty for the server's default. The model cannot be changed later without a reindex."
          data-testid="collection-model-input"
        />
        <datalist id="embedding-model-suggestions">
          {models.data?.models.map((model) => (
            <option key={model.name} value={model.name}>
              {`${model.dimension}-d${model.is_default ? ', default' : ''}`}
            </option>
          ))}
        </datalist>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <TextField
            label="Chunk size (tokens)"
            type="number"
            inputMode="numeric"
            min={CHUNK_SIZE_MIN}
            max={CHUNK_SIZE_MAX}
            value={values.chunk_size}
            onChange={(e) => set('chunk_size', e.target.value)}
            error={fieldErrors.chunk_size}
            hint={`${CHUNK_SIZE_MIN}–${CHUNK_SIZE_MAX}`}
            data-testid="collection-chunk-size-input"
          />
          <TextField
            label="Chunk overlap (tokens)"
            type="number"
            inputMode="numeric"
            min={0}
            value={values.chunk_overlap}
            onChange={(e) => set('chunk_overlap', e.target.value)}
            error={fieldErrors.chunk_overlap}
            hint="Smaller than the chunk size"
            data-testid="collection-chunk-overlap-input"
          />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={values.is_public} onChange={(e) => set('is_public', e.target.checked)} className="h-4 w-4 accent-indigo-600" data-testid="collection-public-input" />
          Public (other users can search it)
        </label>
        <FormError message={formError} testId="create-collection-error" />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={create.isPending} data-testid="create-collection-submit">
            {create.isPending ? 'Creating…' : 'Create collection'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
