import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/api.error';
import type { CollectionDocument } from '../api/api.types';
import { Button } from '../components/button';
import { formatBytes } from '../components/format';
import { EmptyState, ErrorPanel, Spinner, StatusBadge } from '../components/status';
import { DocumentViewerDialog } from '../search/document-viewer.dialog';
import { collectionKeys, listDocuments } from './collection.api';

const PER_PAGE = 25;

export function DocumentsTable({ collectionId }: { collectionId: string }) {
  const [page, setPage] = useState(1);
  const [viewing, setViewing] = useState<CollectionDocument | null>(null);
  const documents = useQuery({
    queryKey: collectionKeys.documents(collectionId, page),
    queryFn: () => listDocuments(collectionId, page, PER_PAGE),
    placeholderData: keepPreviousData,
  });

  if (documents.isPending) return <Spinner label="Loading documents…" />;
  if (documents.isError) return <ErrorPanel error={errorMessage(documents.error)} onRetry={() => void documents.refetch()} />;
  const { documents: rows, total } = documents.data;
  if (total === 0) return <EmptyState title="No documents yet" testId="documents-empty">Documents appear here as sources are indexed.</EmptyState>;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));

  return (
    <div className="space-y-3">
      <div className="overflow-x-auto">
        <table data-testid="documents-table" className="w-full text-left text-sm">
          <thead className="text-xs text-slate-500 uppercase dark:text-slate-400">
            <tr>
              <th scope="col" className="py-2 pr-4">File</th>
              <th scope="col" className="py-2 pr-4">Status</th>
              <th scope="col" className="py-2 pr-4 text-right">Chunks</th>
              <th scope="col" className="py-2 text-right">Size</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {rows.map((document) => (
              <tr key={document.id} data-testid="document-row">
                <td className="max-w-xs py-2 pr-4">
                  <button type="button" className="text-left break-all text-indigo-700 hover:underline dark:text-indigo-300" onClick={() => setViewing(document)} title={document.file_path}>
                    {document.file_name}
                  </button>
                  {document.error_message && (
                    <p data-testid="document-error" className="text-xs text-red-600 dark:text-red-400">
                      {document.error_message}
                    </p>
                  )}
                </td>
                <td className="py-2 pr-4">
                  <StatusBadge status={document.status} />
                </td>
                <td className="py-2 pr-4 text-right tabular-nums">{document.chunk_count}</td>
                <td className="py-2 text-right whitespace-nowrap tabular-nums">{formatBytes(document.file_size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav aria-label="Documents pages" className="flex items-center justify-between gap-2 text-sm">
        <span className="text-slate-600 dark:text-slate-400">
          Page {page} of {pages} · {total} documents
        </span>
        <div className="flex gap-2">
          <Button variant="secondary" size="sm" disabled={page <= 1} onClick={() => setPage((p) => p - 1)} data-testid="documents-prev">
            Previous
          </Button>
          <Button variant="secondary" size="sm" disabled={page >= pages} onClick={() => setPage((p) => p + 1)} data-testid="documents-next">
            Next
          </Button>
        </div>
      </nav>
      {viewing && (
        <DocumentViewerDialog collectionId={collectionId} documentId={viewing.id} fileName={viewing.file_name} onClose={() => setViewing(null)} />
      )}
    </div>
  );
}
