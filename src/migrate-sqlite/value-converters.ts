import { createHash } from 'node:crypto';

/**
 * Legacy SQLite values → the canonical text the importer writes with COPY and checksums.
 * Every converter either returns the target value or throws a ConversionProblem naming what was
 * wrong; the caller attaches table, row id and column. Nothing is guessed or silently nulled.
 */
export class ConversionProblem extends Error {
  override name = 'ConversionProblem';
}

/** Canonical timestamptz text: UTC, always 6 fraction digits and a `Z` (what the checksum's `to_char` prints). */
export type TimestampText = string;

const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * DATETIME text → UTC. Accepts `YYYY-MM-DD HH:MM:SS[.ffffff]` (collections era, UTC),
 * ISO `YYYY-MM-DDTHH:MM:SS[.ffffff][+HH:MM|Z]` (job era; naive means UTC), a bare date, and
 * numbers (Unix seconds, as `os.stat` mtimes were sometimes stored). Microseconds are kept: a JS
 * Date would drop them, so the fraction travels as text beside the whole seconds.
 */
export function convertDatetime(value: unknown): TimestampText {
  if (typeof value === 'string') {
    const fast = fastUtcDatetime(value);
    if (fast !== undefined) return fast;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    const seconds = Number(value);
    if (!Number.isFinite(seconds)) throw new ConversionProblem(`not a timestamp: ${String(value)}`);
    const whole = Math.floor(seconds);
    const micros = Math.round((seconds - whole) * 1e6);
    const date = new Date((whole + (micros === 1e6 ? 1 : 0)) * 1000);
    return formatUtc(date, micros === 1e6 ? 0 : micros);
  }
  if (typeof value !== 'string') throw new ConversionProblem(`not a timestamp: ${typeof value}`);
  const m = DATETIME_RE.exec(value.trim());
  if (!m) throw new ConversionProblem(`not a timestamp: ${JSON.stringify(value.slice(0, 60))}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  let millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(millis);
  if (
    year < 1 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ConversionProblem(`not a valid date/time: ${JSON.stringify(value)}`);
  }
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    millis -= sign * offsetMinutes * 60_000;
  }
  // Nanosecond fractions (never written by Python, but cheap to accept) are rounded down to µs.
  const micros = Number(frac.padEnd(6, '0').slice(0, 6));
  return formatUtc(new Date(millis), micros);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `i` as a number, or NaN. */
function twoDigits(value: string, i: number): number {
  const a = value.charCodeAt(i) - 48;
  const b = value.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The collections era's own format (`YYYY-MM-DD HH:MM:SS[.f…f]`, naive UTC, 1–6 fraction digits)
 * without Date objects or a regex: this runs once per timestamp per row. Skipping Date cut the
 * documents table's conversion time by ~30%; character codes instead of a regex match then halved
 * what was left (bench file, 600k timestamps: ~0.20 s → ~0.07 s of CPU). Anything else falls back
 * to convertDatetime's general parser.
 */
function fastUtcDatetime(value: string): TimestampText | undefined {
  const length = value.length;
  if (length !== 19 && (length < 21 || length > 26)) return undefined;
  const sep = value.charCodeAt(10);
  if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84) || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined;
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  // NaN fails every comparison below, so a non-digit anywhere falls through to the general parser.
  if (!(year >= 1 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  const head = sep === 84 ? value.slice(0, 19) : `${value.slice(0, 10)}T${value.slice(11, 19)}`;
  if (length === 19) return `${head}.000000Z`;
  if (value.charCodeAt(19) !== 46) return undefined;
  for (let i = 20; i < length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
  }
  return length === 26 ? `${head}${value.slice(19)}Z` : `${head}${value.slice(19).padEnd(7, '0')}Z`;
}

function formatUtc(date: Date, micros: number): TimestampText {
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(micros, 6)}Z`
  );
}

/** 0/1 (and the strings SQLite affinity may leave: '0', '1', 'true', 'false') → boolean. */
export function convertBoolean(value: unknown): boolean {
  if (value === 1 || value === 1n || value === '1' || value === true) return true;
  if (value === 0 || value === 0n || value === '0' || value === false) return false;
  if (typeof value === 'string' && /^(true|t)$/i.test(value)) return true;
  if (typeof value === 'string' && /^(false|f)$/i.test(value)) return false;
  throw new ConversionProblem(`not a boolean: ${JSON.stringify(value)}`);
}

/** Integer columns: SQLite may hold 5, 5.0 or '5' (affinity); anything else is a problem. */
export function convertInteger(value: unknown, { min, max }: { min?: number; max?: number } = {}): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = Number(value.trim());
  else throw new ConversionProblem(`not an integer: ${JSON.stringify(value)}`);
  if (!Number.isSafeInteger(n)) throw new ConversionProblem(`not an integer (or beyond 2^53): ${String(value)}`);
  if (min !== undefined && n < min) throw new ConversionProblem(`${n} is below the minimum ${min}`);
  if (max !== undefined && n > max) throw new ConversionProblem(`${n} is above the maximum ${max}`);
  return n;
}

export const INT4_MAX = 2_147_483_647;

export function convertFloat(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new ConversionProblem(`not a number: ${JSON.stringify(value)}`);
}

/**
 * PostgreSQL's float8out text (shortest round-trip digits, like JS), but with its own layout:
 * exponent form when the decimal exponent is < -4 or ≥ 15, at least two exponent digits, and `-0`.
 */
export function float8Text(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Where both print positional notation (decimal exponent -4…14), JS's shortest digits are float8out's.
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e15) return String(x);
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(expText);
  if (exponent < -4 || exponent >= 15) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${pad(Math.abs(exponent))}`;
  }
  return String(x);
}

/** Text for a PostgreSQL text column: NUL cannot be stored, so it is a problem rather than a silent cut. */
export function convertText(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (Buffer.isBuffer(value)) text = value.toString('utf8');
  else throw new ConversionProblem(`not text: ${typeof value}`);
  if (text.includes('\u0000')) throw new ConversionProblem('text contains a NUL character, which PostgreSQL cannot store');
  return text;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const CANONICAL_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** Fixed namespace for ids derived from non-uuid legacy ids (a uuid v4 generated once for Semantik). */
const LEGACY_ID_NAMESPACE = Buffer.from('6f2d3c1e9b8a4f7d8e5c2a1b0d9e8f7a', 'hex');

/** RFC 4122 version-5 uuid: the same legacy id always maps to the same uuid, so reruns and resumes agree. */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(LEGACY_ID_NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A legacy id as a uuid: valid uuids are kept (lower-cased, hyphenated); others derive a v5 uuid. */
export function legacyIdToUuid(kind: string, legacyId: string): { uuid: string; derived: boolean } {
  // The common case, a uuid already in canonical form (what uuid4() wrote), is returned as it is.
  if (CANONICAL_UUID_RE.test(legacyId)) return { uuid: legacyId, derived: false };
  if (isUuid(legacyId)) {
    const hex = legacyId.replace(/-/g, '').toLowerCase();
    return { uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, derived: false };
  }
  return { uuid: uuidV5(`${kind}:${legacyId}`), derived: true };
}

/**
 * Legacy enum values are the UPPERCASE member names (SQLAlchemy stores names); the target uses the
 * lower-case values. Exact lower-case values are accepted too; anything else is a problem.
 */
export function convertEnum<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if ((value === value.toUpperCase() || value === lower) && (allowed as readonly string[]).includes(lower)) return lower as T;
  }
  throw new ConversionProblem(`unknown ${what} ${JSON.stringify(value)} (expected one of ${allowed.map((v) => v.toUpperCase()).join(', ')})`);
}

/** Job-era files kept only an extension; the target has a mime_type column (NULL when unknown). */
const MIME_BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.doc': 'application/msword',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.eml': 'message/rfc822',
  '.json': 'application/json',
  '.csv': 'text/csv',
};

export function mimeTypeForExtension(extension: string): string | null {
  return MIME_BY_EXTENSION[extension.toLowerCase()] ?? null;
}
