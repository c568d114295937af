import { CompiledQuery, RawNode } from 'kysely';

/**
 * COPY … FROM STDIN travels through Kysely as a CompiledQuery tagged with this payload, so it runs
 * on the unit of work's own connection and transaction. Both drivers recognise the tag: the server
 * driver streams it with pg-copy-streams, the embedded driver hands PGlite a Blob.
 */
export const COPY_PAYLOAD = Symbol('semantik.copyPayload');

export interface CopyPayload {
  /** Rows already encoded in PostgreSQL's COPY text format, one string per line (with '\n'). */
  lines: Iterable<string>;
}

export type CopyCompiledQuery = CompiledQuery & { [COPY_PAYLOAD]: CopyPayload };

export function isCopyQuery(query: CompiledQuery): query is CopyCompiledQuery {
  return (query as Partial<CopyCompiledQuery>)[COPY_PAYLOAD] !== undefined;
}

export function makeCopyQuery(copySql: string, payload: CopyPayload): CopyCompiledQuery {
  return Object.freeze({
    sql: copySql,
    parameters: [],
    query: RawNode.createWithSql(copySql),
    queryId: { queryId: `copy-${Date.now()}` },
    [COPY_PAYLOAD]: payload,
  }) as unknown as CopyCompiledQuery;
}

/** Encodes one value for COPY text format: \N for NULL, backslash escapes for the specials. */
export function copyTextValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return text.replace(/[\\\n\r\t]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      default:
        return '\\t';
    }
  });
}

export function copyTextLine(values: readonly unknown[]): string {
  return values.map(copyTextValue).join('\t') + '\n';
}
