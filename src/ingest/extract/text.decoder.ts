import { ExtractionError } from './extraction.error.js';

/**
 * Invalid UTF-8 sequences tolerated (as U+FFFD) before a file is judged not to be UTF-8: a few bad
 * bytes in a big text file should not lose the file, a Latin-1 file has one per accented letter.
 */
const MAX_INVALID_UTF8_RATIO = 0.01;

/**
 * Control characters (other than tab, newlines, form feed) tolerated in a single-byte decode.
 * Random bytes have ~12% (31 of 256 values); real legacy text has none.
 */
const MAX_CONTROL_RATIO = 0.01;

/** Decodes a text file's bytes, or throws ExtractionError('binary') for anything that is not text. */
export function decodeText(bytes: Uint8Array, filePath?: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));

  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new ExtractionError('binary', `binary content: NUL byte at offset ${nul}; not a text file`, filePath);
  }
  // TextDecoder strips a UTF-8 BOM by default.
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  const invalid = countChar(utf8, '\uFFFD');
  if (invalid === 0 || invalid / utf8.length <= MAX_INVALID_UTF8_RATIO) return utf8;

  // Not UTF-8: legacy single-byte text (Windows-1252 is a superset of Latin-1 for printable bytes).
  const legacy = decodeWindows1252(bytes);
  const controlRatio = countControlChars(legacy) / legacy.length;
  if (controlRatio <= MAX_CONTROL_RATIO) return legacy;
  const pct = ((100 * invalid) / utf8.length).toFixed(1);
  throw new ExtractionError(
    'binary',
    `binary content: ${pct}% invalid UTF-8 sequences and ${(100 * controlRatio).toFixed(1)}% control characters; not a text file`,
    filePath,
  );
}

/** Windows-1252's letters at 0x80–0x9F (curly quotes, dashes, €, Œ…); undefined slots stay C1 controls as in the WHATWG table. */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Windows-1252 by hand: Node 20's `TextDecoder('windows-1252')` decodes it as Latin-1, so 0x93
 * (a left double quote in every Word document) came out as the control character U+0093.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const slice = bytes.subarray(i, i + 8192);
    out += String.fromCharCode(...slice.map((b) => b)).replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
  }
  return out;
}

function countChar(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

function countControlChars(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0x7f) n++;
  }
  return n;
}
