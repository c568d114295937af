/** An HTTP error from the API, carrying the server's `{detail, code}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly code: string | undefined;
  /** Per-field messages from a 422 body, keyed by the field name (last path segment). */
  readonly fieldErrors: Record<string, string>;

  constructor(status: number, detail: string, code?: string, fieldErrors: Record<string, string> = {}) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

interface IssueLike {
  loc?: unknown;
  path?: unknown;
  field?: unknown;
  msg?: unknown;
  message?: unknown;
}

/**
 * Builds an ApiError from a response body. The contract fixes `{detail, code}` and says 422
 * carries per-field details without fixing their shape, so this accepts the common ones:
 * FastAPI's `detail: [{loc, msg}]`, zod-style `errors|issues: [{path, message}]`, or a map
 * `fields|field_errors: {name: message}`.
 */
export function apiErrorFromBody(status: number, body: unknown, statusText = ''): ApiError {
  const fallback = statusText || `Request failed with status ${status}`;
  if (!body || typeof body !== 'object') {
    return new ApiError(status, typeof body === 'string' && body.trim() ? body.trim() : fallback);
  }
  const record = body as Record<string, unknown>;
  const code = typeof record.code === 'string' ? record.code : undefined;
  const fieldErrors: Record<string, string> = {};

  const collectIssues = (issues: unknown) => {
    if (!Array.isArray(issues)) return;
    for (const issue of issues as IssueLike[]) {
      if (!issue || typeof issue !== 'object') continue;
      const message = typeof issue.msg === 'string' ? issue.msg : typeof issue.message === 'string' ? issue.message : undefined;
      const rawPath = issue.loc ?? issue.path ?? issue.field;
      const segments = Array.isArray(rawPath) ? rawPath : typeof rawPath === 'string' ? rawPath.split('.') : [];
      const field = [...segments].reverse().find((segment): segment is string => typeof segment === 'string' && segment !== 'body');
      if (field && message && !fieldErrors[field]) fieldErrors[field] = message;
    }
  };
  const collectMap = (map: unknown) => {
    if (!map || typeof map !== 'object' || Array.isArray(map)) return;
    for (const [field, value] of Object.entries(map as Record<string, unknown>)) {
      const message = Array.isArray(value) ? value.find((v) => typeof v === 'string') : value;
      if (typeof message === 'string' && !fieldErrors[field]) fieldErrors[field] = message;
    }
  };

  collectIssues(record.detail);
  collectIssues(record.errors);
  collectIssues(record.issues);
  collectIssues(record.details);
  collectMap(record.fields);
  collectMap(record.field_errors);
  if (!Array.isArray(record.details)) collectMap(record.details);

  let detail: string;
  if (typeof record.detail === 'string' && record.detail) detail = record.detail;
  else if (typeof record.message === 'string' && record.message) detail = record.message;
  else if (Object.keys(fieldErrors).length > 0) {
    detail = Object.entries(fieldErrors)
      .map(([field, message]) => `${field}: ${message}`)
      .join('; ');
  } else detail = fallback;

  return new ApiError(status, detail, code, fieldErrors);
}
