import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { CreateCollectionDialog } from './create-collection.dialog';

const models = {
  models: [
    { name: 'universal-sentence-encoder-lite', dimension: 512, description: 'USE lite', provider: 'local', is_default: false },
    { name: 'openai:nomic-embed-text', dimension: 768, description: 'served', provider: 'openai-compatible', is_default: true },
  ],
  default_model: 'openai:nomic-embed-text',
};

function setup(routes: Parameters<typeof mockFetch>[0] = {}) {
  const fetch = mockFetch({ 'GET /api/v2/embedding-models': json(200, models), ...routes });
  const onCreated = vi.fn();
  const onClose = vi.fn();
  renderWithProviders(<CreateCollectionDialog onClose={onClose} onCreated={onCreated} />);
  return { ...fetch, onCreated, onClose, user: userEvent.setup() };
}

describe('CreateCollectionDialog', () => {
  it('refuses an empty name without calling the server', async () => {
    const { user, fetchMock } = setup();
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Enter a name for the collection.');
    expect(fetchMock).not.toHaveBeenCalledWith('/api/v2/collections', expect.objectContaining({ method: 'POST' }));
  });

  it('refuses an overlap equal to or larger than the chunk size', async () => {
    const { user, fetchMock } = setup();
    await user.type(screen.getByLabelText('Name'), 'notes');
    const size = screen.getByLabelText('Chunk size (tokens)');
    const overlap = screen.getByLabelText('Chunk overlap (tokens)');
    await user.clear(size);
    await user.type(size, '500');
    await user.clear(overlap);
    await user.type(overlap, '500');
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(overlap).toHaveAccessibleDescription('Chunk overlap must be smaller than the chunk size (at most 499).');
    expect(overlap).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).not.toHaveBeenCalledWith('/api/v2/collections', expect.objectContaining({ method: 'POST' }));
  });

  it('refuses a chunk size outside 100..10000', async () => {
    const { user, fetchMock } = setup();
    await user.type(screen.getByLabelText('Name'), 'notes');
    const size = screen.getByLabelText('Chunk size (tokens)');
    await user.clear(size);
    await user.type(size, '50');
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(size).toHaveAccessibleDescription('Chunk size must be a whole number from 100 to 10000.');
    expect(fetchMock).not.toHaveBeenCalledWith('/api/v2/collections', expect.objectContaining({ method: 'POST' }));
  });

  it("leaves the model to the server: offers the server's models, names its default and sends no embedding_model", async () => {
    const created = { id: 'c1', name: 'notes' };
    const { user, calls, onCreated } = setup({ 'POST /api/v2/collections': json(201, created) });
    const model = screen.getByLabelText('Embedding model');
    await vi.waitFor(() => expect(model).toHaveAttribute('placeholder', 'Server default: openai:nomic-embed-text'));
    const offered = [...document.querySelectorAll('#embedding-model-suggestions option')].map((option) => option.getAttribute('value'));
    expect(offered).toEqual(['universal-sentence-encoder-lite', 'openai:nomic-embed-text']);
    await user.type(screen.getByLabelText('Name'), '  notes ');
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    await vi.waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      name: 'notes',
      chunk_size: 1000,
      chunk_overlap: 200,
      is_public: false,
    });
  });

  it('shows the server detail and per-field 422 messages next to the fields', async () => {
    const { user, onCreated } = setup({
      'POST /api/v2/collections': json(422, {
        detail: 'Validation failed',
        code: 'validation_error',
        errors: [{ path: ['embedding_model'], message: 'Unknown embedding model "nope"' }],
      }),
    });
    await user.type(screen.getByLabelText('Name'), 'notes');
    await user.type(screen.getByLabelText('Embedding model'), 'nope');
    const model = screen.getByLabelText('Embedding model');
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(await screen.findByTestId('create-collection-error')).toHaveTextContent('Validation failed');
    expect(model).toHaveAccessibleDescription('Unknown embedding model "nope"');
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('shows a 409 duplicate-name detail', async () => {
    const { user } = setup({ 'POST /api/v2/collections': json(409, { detail: 'A collection named "notes" already exists', code: 'conflict' }) });
    await user.type(screen.getByLabelText('Name'), 'notes');
    await user.click(screen.getByRole('button', { name: 'Create collection' }));
    expect(await screen.findByTestId('create-collection-error')).toHaveTextContent('A collection named "notes" already exists');
  });

  it('closes on Escape', async () => {
    const { user, onClose } = setup();
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
  });
});
