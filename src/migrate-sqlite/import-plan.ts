import { canonicalJson, isJsonObject, type JsonObject, type JsonValue, JsonSyntaxError, parseJson } from './canonical-json.js';
import type { ColumnSpec } from './checksum.js';
import type { DetectedFormat } from './format-detector.js';
import type { ImportRecorder, ProblemKind, ReconciliationRow } from './report.js';
import {
  ConversionProblem,
  convertBoolean,
  convertDatetime,
  convertEnum,
  convertFloat,
  convertInteger,
  convertText,
  legacyIdToUuid,
} from './value-converters.js';

/**
 * What a transformer hands the import engine: target tables in foreign-key order, each a
 * deterministic row producer keyed by an increasing number (the source rowid), so the engine can
 * analyse, copy in batches, resume after the last committed key, and checksum — for either format.
 */
export interface ProducedRow {
  key: number;
  /** Target values in `columns` order, already canonical (see checksum.ts normalization). */
  values: unknown[];
}

export interface TableJob {
  table: string;
  sourceTable: string;
  sourceRows: number;
  columns: ColumnSpec[];
  /** The target `id` is a bigint identity whose sequence must be moved past the copied ids. */
  identity: boolean;
  /** How columns are converted, for the report (e.g. "created_at: DATETIME text → timestamptz UTC"). */
  conversions: string[];
  /** Rows with key > afterKey, in key order. Must produce the same rows every time it is called. */
  rows(afterKey: number): Iterable<ProducedRow>;
}

export interface ImportPlan {
  format: DetectedFormat;
  tables: TableJob[];
  /** Job era: per source table, where every row went (computed after the analysis pass). */
  reconciliation(): ReconciliationRow[];
  /** Collections marked needs_reindex by this import. */
  reindexCollections(): number;
}

export interface TransformOptions {
  skipOrphans: boolean;
}

/**
 * Converts the columns of one source row, turning each ConversionProblem into a reported problem
 * with table, row id and column. One instance per table, reused row after row.
 */
export class RowConverter {
  rowId = '';
  ok = true;
  /** Whether every failure of this row is a missing parent (what --skip-orphans may skip). */
  onlyOrphans = true;
  /** Set when the row is deliberately not imported (a decision, not a problem), with the reason. */
  skipReason: string | undefined;

  constructor(
    private readonly recorder: ImportRecorder,
    readonly table: string,
  ) {}

  begin(rowId: unknown): void {
    this.rowId = String(rowId);
    this.ok = true;
    this.onlyOrphans = true;
    this.skipReason = undefined;
  }

  /** Leaves this row out on purpose; the engine counts it under `reason` in the report. */
  skip(reason: string): void {
    this.skipReason = reason;
  }

  fail(column: string | undefined, message: string, kind: ProblemKind = 'invalid-value'): void {
    this.ok = false;
    if (kind !== 'orphan') this.onlyOrphans = false;
    this.recorder.problem({ kind, table: this.table, rowId: this.rowId, ...(column ? { column } : {}), message });
  }

  private guard<T>(column: string, value: unknown, nullable: boolean, convert: (v: unknown) => T, kind: ProblemKind = 'invalid-value'): T | null {
    if (value === null || value === undefined) {
      if (!nullable) this.fail(column, 'NULL in a column the target requires', 'constraint');
      return null;
    }
    try {
      return convert(value);
    } catch (err) {
      if (err instanceof ConversionProblem || err instanceof JsonSyntaxError) {
        this.fail(column, err.message, kind);
        return null;
      }
      throw err;
    }
  }

  text(column: string, value: unknown, nullable = false): string | null {
    return this.guard(column, value, nullable, convertText);
  }

  int(column: string, value: unknown, nullable = false, range: { min?: number; max?: number } = {}): number | null {
    return this.guard(column, value, nullable, (v) => convertInteger(v, range));
  }

  float(column: string, value: unknown, nullable = false): number | null {
    return this.guard(column, value, nullable, convertFloat);
  }

  bool(column: string, value: unknown, nullable = false): boolean | null {
    return this.guard(column, value, nullable, convertBoolean);
  }

  timestamp(column: string, value: unknown, nullable = false): string | null {
    return this.guard(column, value, nullable, convertDatetime);
  }

  enumValue<T extends string>(column: string, value: unknown, allowed: readonly T[], what: string): T | null {
    return this.guard(column, value, false, (v) => convertEnum(v, allowed, what), 'unknown-enum');
  }

  /** JSON text → parsed tree (numbers keep their lexemes); invalid JSON is a reported problem. */
  jsonTree(column: string, value: unknown, nullable = true): JsonValue | undefined {
    if (value === null || value === undefined) {
      if (!nullable) this.fail(column, 'NULL in a column the target requires', 'constraint');
      return undefined;
    }
    try {
      return parseJson(convertText(value), {
        // Python's json.dumps writes NaN/Infinity (allow_nan=True); jsonb has no such numbers.
        onNonFinite: (lexeme) =>
          this.recorder.decide('json-non-finite', 'JSON NaN/Infinity (Python json.dumps writes them; jsonb cannot store them) → null, as JSON.stringify does', `${this.table} ${this.rowId} ${column}: ${lexeme}`),
        // ensure_ascii escapes of surrogateescape'd file names ("\udcff"): not valid Unicode.
        onLoneSurrogate: (escape) =>
          this.recorder.decide('json-lone-surrogate', 'JSON \\u escapes of a lone UTF-16 surrogate (undecodable file-name bytes) → U+FFFD', `${this.table} ${this.rowId} ${column}: ${escape}`),
      });
    } catch (err) {
      if (err instanceof ConversionProblem || err instanceof JsonSyntaxError) {
        this.fail(column, `invalid JSON (${err.message})`, 'invalid-json');
        return undefined;
      }
      throw err;
    }
  }

  /**
   * JSON text → the canonical jsonb text, or null. SQLAlchemy's JSON type writes Python None as the
   * JSON text `null` (none_as_null=False); in a nullable column that is SQL NULL, in a required one
   * `orElse` (e.g. `{}` for operations.config).
   */
  json(column: string, value: unknown, nullable = true, orElse?: string): string | null {
    const tree = this.jsonTree(column, value, nullable);
    if (tree === undefined) return null;
    if (tree === null && (nullable || orElse !== undefined)) {
      this.recorder.decide(`json-null-${this.table}-${column}`, `${this.table}.${column} JSON text "null" (SQLAlchemy's None) → ${nullable ? 'NULL' : orElse}`, `${this.table} ${this.rowId}`);
      return nullable ? null : orElse!;
    }
    return canonicalJson(tree);
  }

  uuid(column: string, value: unknown, kind: string, onDerived?: (legacy: string, uuid: string) => void): string | null {
    const text = this.text(column, value);
    if (text === null) return null;
    const { uuid, derived } = legacyIdToUuid(kind, text);
    if (derived) onDerived?.(text, uuid);
    return uuid;
  }
}

/** Object-shaped metadata: a legacy JSON object is kept as is; anything else goes under `legacy.meta`. */
export function metadataFrom(meta: JsonValue | undefined, legacy: Record<string, JsonValue | undefined>): JsonObject {
  if ((meta === undefined || meta === null) && Object.keys(legacy).length === 0) return Object.create(null) as JsonObject;
  const out: JsonObject = Object.create(null);
  const legacyBlock: JsonObject = Object.create(null);
  if (isJsonObject(meta)) {
    for (const [k, v] of Object.entries(meta)) {
      if (k === 'legacy') legacyBlock['original_legacy_key'] = v;
      else out[k] = v;
    }
  } else if (meta !== undefined && meta !== null) {
    legacyBlock['meta'] = meta;
  }
  for (const [k, v] of Object.entries(legacy)) if (v !== undefined) legacyBlock[k] = v;
  if (Object.keys(legacyBlock).length) out['legacy'] = legacyBlock;
  return out;
}
