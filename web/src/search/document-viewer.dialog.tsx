import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { requestRaw } from '../api/api.client';
import { errorMessage } from '../api/api.error';
import { documentContentUrl } from '../collections/collection.api';
import { Dialog } from '../components/dialog';
import { ErrorPanel, Spinner } from '../components/status';

type Content = { kind: 'text'; text: string; mime: string } | { kind: 'pdf' | 'binary'; blob: Blob; mime: string };

const TEXT_EXTENSIONS = /\.(txt|md|markdown|csv|json|xml|html?|ya?ml|log|rst)$/i;

function isTextual(mime: string, fileName: string): boolean {
  return mime.startsWith('text/') || /json|xml|markdown|yaml/.test(mime) || (!mime && TEXT_EXTENSIONS.test(fileName));
}

async function fetchContent(collectionId: string, documentId: string, fileName: string): Promise<Content> {
  // Fetched with the auth header (an <iframe src> could not send it), then shown from memory.
  const response = await requestRaw(documentContentUrl(collectionId, documentId), {});
  const mime = (response.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/pdf' || (!mime && /\.pdf$/i.test(fileName))) {
    return { kind: 'pdf', blob: await response.blob(), mime: 'application/pdf' };
  }
  if (isTextual(mime, fileName)) return { kind: 'text', text: await response.text(), mime };
  return { kind: 'binary', blob: await response.blob(), mime };
}

interface DocumentViewerProps {
  collectionId: string;
  documentId: string;
  fileName: string;
  onClose: () => void;
}

export function DocumentViewerDialog({ collectionId, documentId, fileName, onClose }: DocumentViewerProps) {
  const content = useQuery({
    queryKey: ['document-content', collectionId, documentId],
    queryFn: () => fetchContent(collectionId, documentId, fileName),
    staleTime: Infinity,
    gcTime: 0,
  });
  const data = content.data;
  const objectUrl = useMemo(() => (data && data.kind !== 'text' ? URL.createObjectURL(data.blob) : null), [data]);
  useEffect(() => () => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  }, [objectUrl]);

  return (
    <Dialog title={fileName} onClose={onClose} testId="document-viewer" wide>
      {content.isPending && <Spinner label="Loading document…" />}
      {content.isError && <ErrorPanel error={errorMessage(content.error)} />}
      {data?.kind === 'text' && (
        <pre data-testid="document-viewer-text" className="max-h-[70vh] overflow-auto rounded-md bg-slate-50 p-4 text-sm whitespace-pre-wrap break-words dark:bg-slate-950">
          {data.text}
        </pre>
      )}
      {data?.kind === 'pdf' && objectUrl && (
        <iframe data-testid="document-viewer-pdf" title={`PDF: ${fileName}`} src={objectUrl} className="h-[70vh] w-full rounded-md border border-slate-200 dark:border-slate-700" />
      )}
      {data?.kind === 'binary' && objectUrl && (
        <p className="text-sm">
          This file type ({data.mime || 'unknown'}) cannot be previewed here.{' '}
          <a href={objectUrl} download={fileName} className="font-medium text-indigo-700 underline dark:text-indigo-300">
            Download {fileName}
          </a>
        </p>
      )}
    </Dialog>
  );
}
