/**
 * JSON that round-trips through PostgreSQL's jsonb without losing anything, and whose canonical text
 * equals `jsonb::text` exactly — so the import can checksum JSON columns on both sides.
 *
 * `JSON.parse` is not enough: it turns `1.0` into `1` and `1e400` into Infinity, while jsonb keeps
 * numbers as `numeric` (`1.0` stays `1.0`, `1e2` becomes `100`). So numbers keep their lexeme here.
 */
export class JsonNumber {
  constructor(readonly lexeme: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

/** A null-prototype object, so a `__proto__` key in legacy data is just a key. */
export function jsonObject(entries: Record<string, JsonValue> = {}): JsonObject {
  const obj = Object.create(null) as JsonObject;
  for (const [k, v] of Object.entries(entries)) obj[k] = v;
  return obj;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * What to do with the two things Python's json module writes that RFC 8259 (and jsonb) refuse. Without
 * a handler they are syntax errors.
 */
export interface JsonLeniency {
  /** `NaN`, `Infinity`, `-Infinity` (json.dumps allow_nan=True) → null; called with the lexeme. */
  onNonFinite?: (lexeme: string) => void;
  /** A `\uD800`–`\uDFFF` escape without its pair → U+FFFD; called with the escape text. */
  onLoneSurrogate?: (escape: string) => void;
}

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;

/** Parses RFC 8259 JSON (what PostgreSQL accepts), keeping number lexemes. Rejects `\u0000` like jsonb. */
export function parseJson(text: string, leniency: JsonLeniency = {}): JsonValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${pos}`);
  };
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        pos += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            const code = parseInt(hex, 16);
            // PostgreSQL's jsonb cannot store U+0000 ("unsupported Unicode escape sequence").
            if (code === 0) fail('\\u0000 is not storable in PostgreSQL jsonb');
            pos += 4;
            if (code >= 0xd800 && code <= 0xdfff) {
              const low = code <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(text.slice(pos, pos + 6)) ? parseInt(text.slice(pos + 2, pos + 6), 16) : undefined;
              if (low !== undefined) {
                out += String.fromCharCode(code, low);
                pos += 6;
              } else {
                if (!leniency.onLoneSurrogate) fail('a lone UTF-16 surrogate escape is not valid Unicode');
                leniency.onLoneSurrogate!(`\\u${hex}`);
                out += '\uFFFD';
              }
              break;
            }
            out += String.fromCharCode(code);
            break;
          }
          default:
            fail('bad escape');
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };
  const parseValue = (depth: number): JsonValue => {
    if (depth > 1000) fail('nesting deeper than 1000');
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj = jsonObject();
      ws();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a key');
        const key = parseString();
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        obj[key] = parseValue(depth + 1); // duplicate keys: the last wins, as in jsonb
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    if (leniency.onNonFinite) {
      const lexeme = NON_FINITE.find((word) => text.startsWith(word, pos));
      if (lexeme) {
        pos += lexeme.length;
        leniency.onNonFinite(lexeme);
        return null;
      }
    }
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m) {
      pos += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  };
  const value = parseValue(0);
  ws();
  if (pos !== text.length) fail('trailing characters');
  return value;
}

/** A JS value (number, string, plain object …) as a JsonValue, for values the importer builds itself. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (value instanceof JsonNumber) return value;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new JsonNumber(String(value));
  if (Array.isArray(value)) return value.map(toJsonValue);
  const obj = jsonObject();
  for (const [k, v] of Object.entries(value as object)) if (v !== undefined) obj[k] = toJsonValue(v);
  return obj;
}

/** PostgreSQL numeric_in + numeric_out: `1e2` → `100`, `1.50` stays, `-0.0` → `0.0`, `1.5e-3` → `0.0015`. */
export function canonicalNumber(lexeme: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(lexeme);
  if (!m) throw new JsonSyntaxError(`bad number ${lexeme}`);
  const negative = m[1] === '-';
  const intDigits = m[2]!;
  const fracDigits = m[3] ?? '';
  const exponent = m[4] ? parseInt(m[4], 10) : 0;
  const scale = Math.max(0, fracDigits.length - exponent);
  // All digits as one integer string with the decimal point `pointAt` digits from the left.
  const digits = intDigits + fracDigits;
  const pointAt = intDigits.length + exponent;
  let intPart: string;
  let fracPart: string;
  if (pointAt <= 0) {
    intPart = '0';
    fracPart = '0'.repeat(-pointAt) + digits;
  } else if (pointAt >= digits.length) {
    intPart = digits + '0'.repeat(pointAt - digits.length);
    fracPart = '';
  } else {
    intPart = digits.slice(0, pointAt);
    fracPart = digits.slice(pointAt);
  }
  fracPart = fracPart.length > scale ? fracPart.slice(0, scale) : fracPart.padEnd(scale, '0');
  intPart = intPart.replace(/^0+(?=\d)/, '');
  const isZero = /^0*$/.test(intPart) && /^0*$/.test(fracPart);
  const body = scale > 0 ? `${intPart}.${fracPart}` : intPart;
  return negative && !isZero ? `-${body}` : body;
}

/** jsonb's string escaping (escape_json): quotes, backslash, \b\f\n\r\t, other controls as \u00XX. */
function canonicalString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\u0000-\u001f]/.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

/** jsonb orders object keys by UTF-8 byte length, then bytewise. */
function compareKeys(a: string, b: string): number {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length - bb.length || Buffer.compare(ab, bb);
}

/** The exact text PostgreSQL prints for `value::jsonb::text`. */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return canonicalString(value);
  if (value instanceof JsonNumber) return canonicalNumber(value.lexeme);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(', ') + ']';
  const keys = Object.keys(value).sort(compareKeys);
  return '{' + keys.map((k) => `${canonicalString(k)}: ${canonicalJson(value[k]!)}`).join(', ') + '}';
}
