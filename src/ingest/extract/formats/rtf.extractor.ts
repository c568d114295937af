import type { FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { decodeWindows1252 } from '../text.decoder.js';

/**
 * RTF without a dependency: the npm parsers are either unmaintained since 2017 (`rtf-parser`,
 * `@iarna/rtf-to-html`), browser-DOM renderers (`rtf.js`) or only undo Outlook's encapsulation
 * (`rtf-stream-parser`). Text extraction needs one pass over groups and control words, so this is
 * a bounded tokenizer: no recursion (an explicit group stack, at most MAX_GROUP_DEPTH deep),
 * control words capped at the spec's 32 letters and parameters at 10 digits, `\binN` bounds-checked.
 *
 * Kept: body text, `\uN` (with `\ucN` fallback skipping), `\'hh` in the document's `\ansicpgN` or
 * the current font's `\fcharsetN`, paragraph/line/tab/cell breaks, field results. Skipped: `\*`
 * destinations, font/colour/style/list tables, pictures, objects' data, headers and footers, and
 * `\info` — whose title, author, subject and creation/revision times become metadata.
 */
const MAX_GROUP_DEPTH = 512;

const SKIPPED_DESTINATIONS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'listtable', 'listoverridetable', 'revtbl', 'rsidtbl', 'filetbl',
  'pict', 'objdata', 'themedata', 'colorschememapping', 'datastore', 'latentstyles', 'xmlnstbl',
  'header', 'headerl', 'headerr', 'headerf', 'footer', 'footerl', 'footerr', 'footerf', 'fldinst',
  'private',
]);

/** `\info` children kept as metadata; the rest of `\info` (operator, doccomm, …) is dropped. */
const INFO_FIELDS: Record<string, string> = { title: 'title', author: 'author', subject: 'subject' };
const INFO_TIMES: Record<string, string> = { creatim: 'created', revtim: 'modified' };

const SYMBOLS: Record<string, string> = {
  par: '\n\n', sect: '\n\n', page: '\n\n', line: '\n', tab: '\t', cell: ' | ', nestcell: ' | ', row: '\n', nestrow: '\n',
  emdash: '\u2014', endash: '\u2013', bullet: '\u2022', lquote: '\u2018', rquote: '\u2019', ldblquote: '\u201c', rdblquote: '\u201d',
  emspace: ' ', enspace: ' ', qmspace: ' ',
};

/** Windows font charsets (`\fcharsetN`) → code pages, for `\'hh` bytes in that font. */
const CHARSET_CODEPAGES: Record<number, number> = {
  77: 10000, 128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250,
};

const CODEPAGE_LABELS: Record<number, string> = { 932: 'shift_jis', 936: 'gbk', 949: 'euc-kr', 950: 'big5', 10000: 'macintosh', 20866: 'koi8-r', 65001: 'utf-8' };

interface GroupState {
  skip: boolean;
  /** Characters after `\uN` that stand for it in readers without Unicode (`\ucN`, default 1). */
  unicodeFallback: number;
  codepage: number;
  /** Inside `\info`: which metadata field this group's text fills. */
  field?: string;
  fontTable: boolean;
  /** Inside `\info`: title/author/subject/creatim/revtim are read as metadata. */
  info: boolean;
}

export function extractRtf(bytes: Uint8Array, filePath?: string): FormatText {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const start = source.search(/\S/);
  if (!source.startsWith('{\\rtf', start)) throw new ExtractionError('corrupt', 'corrupt RTF: no {\\rtf header', filePath);
  const { text, fields, times } = parse(source, start, filePath);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (key !== 'title' && value.trim()) metadata[key] = value.trim();
  for (const [key, value] of Object.entries(times)) metadata[key] = value;
  const title = fields['title']?.trim();
  const cleaned = text
    .replace(/ \| (?=\n|$)/g, '') // the last cell of a table row
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { text: cleaned, format: 'plain', ...(title ? { title } : {}), metadata };
}

function parse(source: string, start: number, filePath?: string) {
  let documentCodepage = 1252;
  const fontCodepages = new Map<number, number>();
  let fontInTable: number | undefined;
  let state: GroupState = { skip: false, unicodeFallback: 1, codepage: documentCodepage, fontTable: false, info: false };
  const stack: GroupState[] = [];
  let out = '';
  const fields: Record<string, string> = {};
  const times: Record<string, string> = {};
  let time: { key: string; parts: Record<string, number> } | undefined;
  let pendingBytes: number[] = [];
  /** Fallback characters still to drop after the last `\uN`. */
  let fallbackLeft = 0;

  const emit = (chars: string) => {
    if (state.field) fields[state.field] = (fields[state.field] ?? '') + chars;
    else if (!state.skip) out += chars;
  };
  const flushBytes = () => {
    if (pendingBytes.length === 0) return;
    emit(decodeCodepage(Uint8Array.from(pendingBytes), state.codepage));
    pendingBytes = [];
  };
  /** One fallback "character" (a letter, a `\'hh`, a control word) is consumed: true when it was one. */
  const consumedAsFallback = () => fallbackLeft > 0 && fallbackLeft-- > 0;

  let i = start;
  while (i < source.length) {
    const ch = source.charCodeAt(i);
    if (ch === 0x7b || ch === 0x7d) {
      // { or }
      flushBytes();
      fallbackLeft = 0;
      i++;
      if (ch === 0x7b) {
        if (stack.length >= MAX_GROUP_DEPTH) throw new ExtractionError('corrupt', `corrupt RTF: groups nested deeper than ${MAX_GROUP_DEPTH}`, filePath);
        stack.push(state);
        state = { ...state };
        continue;
      }
      if (time) finishTime(time, times);
      time = undefined;
      state = stack.pop()!;
      if (stack.length === 0) break; // the document's own group closed: anything after it is not RTF
      continue;
    }
    if (ch === 0x0d || ch === 0x0a || ch === 0) {
      i++;
      continue;
    }
    if (ch !== 0x5c) {
      // plain text: 8-bit bytes are in the current code page, like \'hh
      if (!consumedAsFallback()) {
        if (ch >= 0x80) pendingBytes.push(ch);
        else {
          flushBytes();
          emit(source[i]!);
        }
      }
      i++;
      continue;
    }
    const word = /^\\([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(source.slice(i, i + 45));
    if (!word) {
      const symbol = source[i + 1];
      if (symbol === "'") {
        const hex = source.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ExtractionError('corrupt', `corrupt RTF: bad \\' escape at byte ${i}`, filePath);
        if (!consumedAsFallback()) pendingBytes.push(parseInt(hex, 16));
        i += 4;
        continue;
      }
      if (symbol === undefined) throw new ExtractionError('corrupt', 'corrupt RTF: ends inside a control word', filePath);
      flushBytes();
      i += 2;
      if (symbol === '*') state.skip = true;
      else if (consumedAsFallback()) continue;
      else if (symbol === '\\' || symbol === '{' || symbol === '}') emit(symbol);
      else if (symbol === '~') emit('\u00a0');
      else if (symbol === '_') emit('\u2011');
      else if (symbol === '\n' || symbol === '\r') emit('\n\n');
      // \- (optional hyphen), \| and \: (index entries): nothing to show
      continue;
    }
    flushBytes();
    i += word[0].length;
    const name = word[1]!;
    const param = word[2] === undefined ? undefined : Number(word[2]);
    if (name === 'bin') {
      const length = Math.max(0, param ?? 0);
      if (i + length > source.length) throw new ExtractionError('corrupt', `corrupt RTF: \\bin${length} runs past the end of the file`, filePath);
      i += length;
      continue;
    }
    if (name === 'u' && param !== undefined) {
      emit(String.fromCharCode(param < 0 ? param + 65536 : param & 0xffff));
      fallbackLeft = state.unicodeFallback;
      continue;
    }
    if (consumedAsFallback()) continue;
    if (name === 'uc') state.unicodeFallback = Math.min(Math.max(0, param ?? 1), 10);
    else if (name === 'ansicpg' && param !== undefined) documentCodepage = state.codepage = param;
    else if (name === 'mac') documentCodepage = state.codepage = 10000;
    else if (name === 'fonttbl') state = { ...state, skip: true, fontTable: true };
    else if (name === 'f' && param !== undefined) {
      if (state.fontTable) fontInTable = param;
      else state.codepage = fontCodepages.get(param) ?? documentCodepage;
    } else if (name === 'fcharset' && state.fontTable && fontInTable !== undefined) {
      const codepage = CHARSET_CODEPAGES[param ?? 0];
      if (codepage) fontCodepages.set(fontInTable, codepage);
    } else if (name === 'cpg' && state.fontTable && fontInTable !== undefined && param) fontCodepages.set(fontInTable, param);
    else if (name === 'info') state = { ...state, skip: true, info: true };
    else if (state.info && INFO_FIELDS[name]) state.field = INFO_FIELDS[name];
    else if (state.info && INFO_TIMES[name]) time = { key: INFO_TIMES[name]!, parts: {} };
    else if (time && param !== undefined && TIME_PARTS.has(name)) time.parts[name] = param;
    else if (SKIPPED_DESTINATIONS.has(name)) state.skip = true;
    else if (SYMBOLS[name] !== undefined) emit(SYMBOLS[name]!);
    // every other control word is formatting (\b, \fs24, \pard, …): nothing to show
  }
  flushBytes();
  if (stack.length > 0) throw new ExtractionError('corrupt', `corrupt RTF: ${stack.length} group(s) not closed (truncated file?)`, filePath);
  return { text: out, fields, times };
}

const TIME_PARTS = new Set(['yr', 'mo', 'dy', 'hr', 'min']);

/** `{\creatim\yr2024\mo3\dy5\hr14\min7}` → `2024-03-05T14:07` (RTF times carry no zone). */
function finishTime(time: { key: string; parts: Record<string, number> }, times: Record<string, string>): void {
  const { yr, mo = 1, dy = 1, hr = 0, min = 0 } = time.parts;
  if (!yr || yr < 1000 || yr > 9999 || mo < 1 || mo > 12 || dy < 1 || dy > 31 || hr > 23 || min > 59) return;
  const pad = (n: number) => String(n).padStart(2, '0');
  times[time.key] = `${yr}-${pad(mo)}-${pad(dy)}T${pad(hr)}:${pad(min)}`;
}

const decoders = new Map<number, TextDecoder>();

/** The `windows-N` code pages TextDecoder knows (WHATWG encodings); any other reads as Windows-1252. */
const SUPPORTED = new Set([874, 1250, 1251, 1253, 1254, 1255, 1256, 1257, 1258]);

/** Bytes in a Windows code page; an unknown one (or one this Node lacks) reads as Windows-1252. */
function decodeCodepage(bytes: Uint8Array, codepage: number): string {
  if (codepage === 1252 || !CODEPAGE_LABELS[codepage] && !SUPPORTED.has(codepage)) return decodeWindows1252(bytes);
  let decoder = decoders.get(codepage);
  if (!decoder) {
    decoder = new TextDecoder(CODEPAGE_LABELS[codepage] ?? `windows-${codepage}`);
    decoders.set(codepage, decoder);
  }
  return decoder.decode(bytes);
}
