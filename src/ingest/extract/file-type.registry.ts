import path from 'node:path';

export type ExtractorKind = 'pdf' | 'docx' | 'html' | 'markdown' | 'text';

interface FileType {
  mimeType: string;
  kind: ExtractorKind;
}

const TEXT = (mimeType: string): FileType => ({ mimeType, kind: 'text' });

/** Extensions Semantik indexes on purpose. Other files are still tried as plain text if they look like text. */
const FILE_TYPES: Record<string, FileType> = {
  '.pdf': { mimeType: 'application/pdf', kind: 'pdf' },
  '.docx': { mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', kind: 'docx' },
  '.html': { mimeType: 'text/html', kind: 'html' },
  '.htm': { mimeType: 'text/html', kind: 'html' },
  '.md': { mimeType: 'text/markdown', kind: 'markdown' },
  '.markdown': { mimeType: 'text/markdown', kind: 'markdown' },
  '.txt': TEXT('text/plain'),
  '.text': TEXT('text/plain'),
  '.log': TEXT('text/plain'),
  '.rst': TEXT('text/x-rst'),
  '.json': TEXT('application/json'),
  '.jsonl': TEXT('application/jsonl'),
  '.csv': TEXT('text/csv'),
  '.tsv': TEXT('text/tab-separated-values'),
  '.xml': TEXT('application/xml'),
  '.yaml': TEXT('application/yaml'),
  '.yml': TEXT('application/yaml'),
  '.toml': TEXT('application/toml'),
  '.ini': TEXT('text/plain'),
  '.ts': TEXT('text/typescript'),
  '.tsx': TEXT('text/typescript'),
  '.js': TEXT('text/javascript'),
  '.mjs': TEXT('text/javascript'),
  '.cjs': TEXT('text/javascript'),
  '.jsx': TEXT('text/javascript'),
  '.py': TEXT('text/x-python'),
  '.rb': TEXT('text/x-ruby'),
  '.go': TEXT('text/x-go'),
  '.rs': TEXT('text/x-rust'),
  '.java': TEXT('text/x-java'),
  '.kt': TEXT('text/x-kotlin'),
  '.c': TEXT('text/x-c'),
  '.h': TEXT('text/x-c'),
  '.cpp': TEXT('text/x-c++'),
  '.hpp': TEXT('text/x-c++'),
  '.cs': TEXT('text/x-csharp'),
  '.php': TEXT('text/x-php'),
  '.swift': TEXT('text/x-swift'),
  '.sh': TEXT('text/x-shellscript'),
  '.sql': TEXT('application/sql'),
  '.css': TEXT('text/css'),
  '.tex': TEXT('text/x-tex'),
};

export const supportedExtensions: readonly string[] = Object.keys(FILE_TYPES);

export const UNKNOWN_MIME_TYPE = 'application/octet-stream';

function fileTypeFor(filePath: string): FileType | undefined {
  return FILE_TYPES[path.extname(filePath).toLowerCase()];
}

/** MIME type from the extension; `application/octet-stream` when the extension is unknown. */
export function mimeTypeFor(filePath: string): string {
  return fileTypeFor(filePath)?.mimeType ?? UNKNOWN_MIME_TYPE;
}

/** Unknown extensions are sniffed as text: a README, a Makefile or a .conf is worth indexing. */
export function extractorKindFor(filePath: string): ExtractorKind {
  return fileTypeFor(filePath)?.kind ?? 'text';
}
