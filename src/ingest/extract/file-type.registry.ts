import path from 'node:path';

export type ExtractorKind =
  | 'pdf'
  | 'docx'
  | 'html'
  | 'markdown'
  | 'text'
  | 'pptx'
  | 'xlsx'
  | 'ods'
  | 'csv'
  | 'odt'
  | 'rtf'
  | 'epub'
  | 'eml'
  | 'mbox'
  | 'image';

interface FileType {
  mimeType: string;
  kind: ExtractorKind;
  /** Source code: the language, stored as document metadata `language` (filterable). */
  language?: string;
}

const TEXT = (mimeType: string): FileType => ({ mimeType, kind: 'text' });
const CODE = (mimeType: string, language: string): FileType => ({ mimeType, kind: 'text', language });

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
  '.csv': { mimeType: 'text/csv', kind: 'csv' },
  '.tsv': { mimeType: 'text/tab-separated-values', kind: 'csv' },
  '.pptx': { mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', kind: 'pptx' },
  '.xlsx': { mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', kind: 'xlsx' },
  '.ods': { mimeType: 'application/vnd.oasis.opendocument.spreadsheet', kind: 'ods' },
  '.odt': { mimeType: 'application/vnd.oasis.opendocument.text', kind: 'odt' },
  '.rtf': { mimeType: 'application/rtf', kind: 'rtf' },
  '.epub': { mimeType: 'application/epub+zip', kind: 'epub' },
  '.eml': { mimeType: 'message/rfc822', kind: 'eml' },
  '.mbox': { mimeType: 'application/mbox', kind: 'mbox' },
  '.png': { mimeType: 'image/png', kind: 'image' },
  '.jpg': { mimeType: 'image/jpeg', kind: 'image' },
  '.jpeg': { mimeType: 'image/jpeg', kind: 'image' },
  '.tif': { mimeType: 'image/tiff', kind: 'image' },
  '.tiff': { mimeType: 'image/tiff', kind: 'image' },
  '.webp': { mimeType: 'image/webp', kind: 'image' },
  '.xml': TEXT('application/xml'),
  '.yaml': TEXT('application/yaml'),
  '.yml': TEXT('application/yaml'),
  '.toml': TEXT('application/toml'),
  '.ini': TEXT('text/plain'),
  '.ts': CODE('text/typescript', 'typescript'),
  '.tsx': CODE('text/typescript', 'typescript'),
  '.js': CODE('text/javascript', 'javascript'),
  '.mjs': CODE('text/javascript', 'javascript'),
  '.cjs': CODE('text/javascript', 'javascript'),
  '.jsx': CODE('text/javascript', 'javascript'),
  '.py': CODE('text/x-python', 'python'),
  '.rb': CODE('text/x-ruby', 'ruby'),
  '.go': CODE('text/x-go', 'go'),
  '.rs': CODE('text/x-rust', 'rust'),
  '.java': CODE('text/x-java', 'java'),
  '.kt': CODE('text/x-kotlin', 'kotlin'),
  '.c': CODE('text/x-c', 'c'),
  '.h': CODE('text/x-c', 'c'),
  '.cpp': CODE('text/x-c++', 'cpp'),
  '.hpp': CODE('text/x-c++', 'cpp'),
  '.cs': CODE('text/x-csharp', 'csharp'),
  '.php': CODE('text/x-php', 'php'),
  '.swift': CODE('text/x-swift', 'swift'),
  '.sh': CODE('text/x-shellscript', 'shell'),
  '.sql': CODE('application/sql', 'sql'),
  '.css': CODE('text/css', 'css'),
  '.tex': CODE('text/x-tex', 'latex'),
  '.scala': CODE('text/x-scala', 'scala'),
  '.lua': CODE('text/x-lua', 'lua'),
  '.pl': CODE('text/x-perl', 'perl'),
  '.r': CODE('text/x-r', 'r'),
  '.dart': CODE('text/x-dart', 'dart'),
  '.vue': CODE('text/x-vue', 'vue'),
  '.svelte': CODE('text/x-svelte', 'svelte'),
  '.scss': CODE('text/x-scss', 'scss'),
  '.hs': CODE('text/x-haskell', 'haskell'),
  '.ex': CODE('text/x-elixir', 'elixir'),
  '.exs': CODE('text/x-elixir', 'elixir'),
  '.clj': CODE('text/x-clojure', 'clojure'),
  '.m': CODE('text/x-objectivec', 'objective-c'),
  '.ps1': CODE('text/x-powershell', 'powershell'),
  '.bash': CODE('text/x-shellscript', 'shell'),
  '.zsh': CODE('text/x-shellscript', 'shell'),
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

/** Source code's language from the extension (`.ts` → `typescript`), else undefined. */
export function codeLanguageFor(filePath: string): string | undefined {
  return fileTypeFor(filePath)?.language;
}
