import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { SearchResponse, SearchSnippet } from '../api/api.types';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { SearchPage } from './search.page';

const collections = {
  collections: [
    { id: 'c1', name: 'notes', status: 'ready' },
    { id: 'c2', name: 'papers', status: 'ready' },
  ],
  total: 2,
  page: 1,
  per_page: 100,
};

const answer: SearchResponse = {
  query: 'vector search',
  results: [
    {
      document_id: 'd1',
      chunk_id: 'ch1',
      collection_id: 'c1',
      collection_name: 'notes',
      file_name: 'pgvector.md',
      file_path: '/home/me/notes/pgvector.md',
      score: 0.8123,
      text: 'HNSW makes Vector search fast.',
      snippet: null,
      metadata: {},
      embedding_model: 'universal-sentence-encoder-lite',
      chunk_index: 0,
    },
  ],
  total_results: 1,
  collections_searched: [{ id: 'c1', name: 'notes', embedding_model: 'universal-sentence-encoder-lite' }],
  search_type: 'hybrid',
  search_time_ms: 12.4,
  reranking_used: false,
  reranker_model: null,
  embedding_time_ms: 3.1,
  reranking_time_ms: null,
  total_time_ms: 15.5,
  partial_failure: false,
  failed_collections: [],
};

function setup(response: SearchResponse = answer) {
  const fetch = mockFetch({
    'GET /api/v2/collections': json(200, collections),
    'POST /api/v2/search': json(200, response),
    'GET /api/v2/collections/c1/documents/d1/content': () => ({ status: 200, body: '# pgvector notes', headers: { 'Content-Type': 'text/markdown' } }),
  });
  renderWithProviders(<SearchPage />);
  return { ...fetch, user: userEvent.setup() };
}

const searchCalls = (calls: { method: string; path: string }[]) => calls.filter((call) => call.path === '/api/v2/search');

describe('SearchPage', () => {
  it('requires a query', async () => {
    const { user, calls } = setup();
    await user.click(await screen.findByRole('checkbox', { name: 'notes' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByLabelText('Search query')).toHaveAccessibleDescription('Enter something to search for.');
    expect(searchCalls(calls)).toHaveLength(0);
  });

  it('requires at least one collection', async () => {
    const { user, calls } = setup();
    await user.type(await screen.findByLabelText('Search query'), 'vector search');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose at least one collection to search.');
    expect(searchCalls(calls)).toHaveLength(0);
  });

  it('searches the chosen collections, highlights query terms and opens the document', async () => {
    const { user, calls } = setup();
    await user.type(await screen.findByLabelText('Search query'), 'vector search');
    await user.click(screen.getByRole('checkbox', { name: 'notes' }));
    await user.selectOptions(screen.getByLabelText('Search type'), 'hybrid');
    const k = screen.getByLabelText('Results (k)');
    await user.clear(k);
    await user.type(k, '5');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    const result = await screen.findByTestId('search-result');
    expect(searchCalls(calls)[0]).toMatchObject({
      body: { query: 'vector search', collection_uuids: ['c1'], k: 5, search_type: 'hybrid', include_content: true },
    });
    expect(within(result).getByText('notes')).toBeInTheDocument();
    expect(within(result).getByTestId('search-result-score')).toHaveTextContent('0.812');
    const marks = [...result.querySelectorAll('mark')].map((mark) => mark.textContent);
    expect(marks).toEqual(['Vector', 'search']);

    await user.click(within(result).getByRole('button', { name: 'pgvector.md' }));
    expect(await screen.findByTestId('document-viewer-text')).toHaveTextContent('# pgvector notes');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('document-viewer')).not.toBeInTheDocument();
  });

  it('shows the server snippet with exactly its highlight ranges marked', async () => {
    const snippet: SearchSnippet = { text: '…indexes make searching vectors fast…', highlights: [[14, 23], [24, 31]] };
    const { user } = setup({ ...answer, results: answer.results.map((result) => ({ ...result, snippet })) });
    await user.type(await screen.findByLabelText('Search query'), 'vector search');
    await user.click(await screen.findByRole('checkbox', { name: 'notes' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));

    const text = await screen.findByTestId('search-result-snippet');
    expect(text).toHaveTextContent('…indexes make searching vectors fast…');
    expect([...text.querySelectorAll('mark')].map((mark) => mark.textContent)).toEqual(['searching', 'vectors']);
  });

  it('shows the server detail when the search fails', async () => {
    const fetch = mockFetch({
      'GET /api/v2/collections': json(200, collections),
      'POST /api/v2/search': json(503, { detail: 'The embedding model is still loading; retry in a minute.', code: 'model_loading' }),
    });
    renderWithProviders(<SearchPage />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Search query'), 'x y');
    await user.click(screen.getByRole('checkbox', { name: 'papers' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByTestId('search-error')).toHaveTextContent('The embedding model is still loading; retry in a minute.');
    expect(fetch.fetchMock).toHaveBeenCalledTimes(2);
  });
});
