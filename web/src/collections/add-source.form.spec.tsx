import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockFetch, renderWithProviders } from '../test/render';
import { AddSourceForm } from './add-source.form';

describe('AddSourceForm', () => {
  it('shows the server 400 detail for a path outside the allowed roots and keeps the input', async () => {
    const detail = 'Path /etc is outside the allowed document roots (/home/me). Set SEMANTIK_DOCUMENT_ROOTS to allow it.';
    mockFetch({ 'POST /api/v2/collections/c1/sources': json(400, { detail, code: 'path_not_allowed' }) });
    const onStarted = vi.fn();
    renderWithProviders(<AddSourceForm collectionId="c1" onStarted={onStarted} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Folder path on the server'), '/etc');
    await user.click(screen.getByRole('button', { name: 'Add source' }));
    expect(await screen.findByTestId('add-source-error')).toHaveTextContent(detail);
    expect(screen.getByLabelText('Folder path on the server')).toHaveValue('/etc');
    expect(onStarted).not.toHaveBeenCalled();
  });

  it('starts the operation and clears the input on success', async () => {
    const operation = { id: 'op1', collection_id: 'c1', type: 'index', status: 'pending' };
    const { calls } = mockFetch({ 'POST /api/v2/collections/c1/sources': json(202, operation) });
    const onStarted = vi.fn();
    renderWithProviders(<AddSourceForm collectionId="c1" onStarted={onStarted} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Folder path on the server'), '/home/me/notes');
    await user.click(screen.getByRole('checkbox', { name: 'Include subfolders' }));
    await user.click(screen.getByRole('button', { name: 'Add source' }));
    await vi.waitFor(() => expect(onStarted).toHaveBeenCalledWith(operation));
    expect(calls[0]?.body).toEqual({ source_path: '/home/me/notes', config: { recursive: false } });
    expect(screen.getByLabelText('Folder path on the server')).toHaveValue('');
    expect(screen.queryByTestId('add-source-error')).not.toBeInTheDocument();
  });

  it('asks for a path before calling the server', async () => {
    const { fetchMock } = mockFetch({});
    renderWithProviders(<AddSourceForm collectionId="c1" />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Add source' }));
    expect(screen.getByTestId('add-source-error')).toHaveTextContent('Enter the path of a folder on the server.');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
