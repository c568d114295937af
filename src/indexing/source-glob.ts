/**
 * Include/exclude globs of a source, matched in time bounded by O(pattern length × name length)
 * with no regular expression at all.
 *
 * Why not picomatch (or minimatch, the only other matcher in node_modules): both compile a glob to
 * a backtracking JavaScript RegExp. `*(*)x` against a 31-character name took ~44 s, and even with
 * extglobs off `*a*a*a*a*a*a*a*a*a*a*a*b` against a 40-character name took 77 s — on the event
 * loop that also serves the API (issue 15). No non-backtracking matcher is installed, and the
 * syntax is small, so it is parsed here and matched with the classic two-pointer wildcard
 * algorithm per path segment (a `*` never needs more than the one most recent restart point,
 * so each segment costs at most |segment pattern| × |segment|), with `**` handled by a dynamic
 * programme over segments. Braces are expanded up front, with a cap.
 *
 * Semantics (those of picomatch with `dot: true`, the options the scanner used, where sane):
 * - A pattern without `/` matches the file (or folder) name; one with `/` matches the path
 *   relative to the source. (picomatch with `basename: true` tested *every* pattern against the
 *   name only, so `docs/*.md` matched nothing and `sub/**` matched any folder named `sub`; the
 *   documented behaviour is kept instead.)
 * - `*` and `?` do not cross `/`; `**` as a whole segment matches zero or more folders (`a/**`
 *   matches `a` itself); `**` inside a segment is a `*`. Dot-names are matched like any other.
 * - `[abc]`, `[a-z]`, `[!x]` / `[^x]` (negated; picomatch read `[!x]` as "`!` or `x`"), POSIX
 *   classes such as `[[:alpha:]]`, `\` escapes the next character.
 * - `{a,b}` alternatives (nested), `{1..12}` and `{a..e}` ranges.
 * - A leading `!` negates the pattern (picomatch's rule; a list matches when any pattern does).
 * - Matching is case-sensitive.
 * - Extglobs `@(…)`, `*(…)`, `+(…)`, `?(…)`, `!(…)` are refused: they are what made the regex
 *   blow up, and silently reading them as literals would change what a stored source matches.
 *   `(`, `)` and `|` elsewhere are ordinary characters (picomatch treated them as regex groups).
 */

/**
 * Bounds checked at the edge (zod) and again when a scan compiles a stored pattern. They bound the
 * work per name: a list costs at most MAX_EXPANDED_CHARS × name length steps (8,192 × 255 ≈ 2 M
 * simple steps, a few ms, for the worst possible file name) — no cap on the number of wildcards is
 * needed, since the matcher's cost does not grow with it beyond the pattern length.
 */
export const GLOB_LIMITS = {
  /** Patterns per include or exclude list (a real config has a handful). */
  maxPatterns: 64,
  /** Characters per pattern. */
  maxPatternLength: 256,
  /** Alternatives one pattern may expand to through `{…}`. */
  maxAlternatives: 256,
  /** Characters of all patterns of one list after brace expansion. */
  maxExpandedChars: 8_192,
} as const;

export class GlobPatternError extends Error {
  override name = 'GlobPatternError';
}

type Token =
  | { kind: 'char'; code: number }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negated: boolean; ranges: number[]; predicates: ((code: number) => boolean)[] };

/** One path segment of a pattern: `**`, or tokens matched within one name. */
type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

interface Alternative {
  /** Matched against the relative path (the pattern had a `/`), else against the last name. */
  wholePath: boolean;
  /** Characters after brace expansion (what the per-list cap counts). */
  length: number;
  segments: Segment[];
}

interface CompiledPattern {
  negated: boolean;
  alternatives: Alternative[];
}

export type GlobMatcher = (relativePath: string) => boolean;

const EXTGLOB_OPERATORS = '@*+?!';

/**
 * The problem with one pattern, or undefined when it is usable. Runs in time linear in the
 * pattern (plus the capped expansion), so it is safe at the edge.
 */
export function globProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof GlobPatternError) return err.message;
    throw err;
  }
}

/** Problems of a list as `{index, message}` (index undefined: the list as a whole). */
export function globListProblems(patterns: readonly string[]): { index?: number; message: string }[] {
  if (patterns.length > GLOB_LIMITS.maxPatterns) {
    return [{ message: `at most ${GLOB_LIMITS.maxPatterns} patterns per list (got ${patterns.length})` }];
  }
  const problems: { index?: number; message: string }[] = [];
  let expandedChars = 0;
  patterns.forEach((pattern, index) => {
    try {
      expandedChars += expandedSize(compilePattern(pattern));
    } catch (err) {
      if (!(err instanceof GlobPatternError)) throw err;
      problems.push({ index, message: err.message });
    }
  });
  if (problems.length === 0 && expandedChars > GLOB_LIMITS.maxExpandedChars) {
    problems.push({
      message: `the patterns expand (braces included) to ${expandedChars} characters; the limit per list is ${GLOB_LIMITS.maxExpandedChars}`,
    });
  }
  return problems;
}

/**
 * A matcher for a list: true when any pattern matches (an empty list matches nothing). Throws
 * GlobPatternError naming the first bad pattern.
 */
export function compileGlobList(patterns: readonly string[]): GlobMatcher {
  const problems = globListProblems(patterns);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new GlobPatternError(first.index === undefined ? first.message : `pattern "${patterns[first.index]}": ${first.message}`);
  }
  const compiled = patterns.map(compilePattern);
  const needsSegments = compiled.some((p) => p.alternatives.some((a) => a.wholePath));
  return (relativePath) => {
    if (relativePath === '') return false;
    const names = needsSegments ? relativePath.split('/') : undefined;
    const baseName = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return compiled.some((pattern) => pattern.alternatives.some((alt) => matchAlternative(alt, baseName, names)) !== pattern.negated);
  };
}

function expandedSize(pattern: CompiledPattern): number {
  return pattern.alternatives.reduce((sum, alt) => sum + alt.length, 0);
}

function compilePattern(pattern: string): CompiledPattern {
  if (pattern.length === 0) throw new GlobPatternError('a pattern must not be empty');
  if (pattern.length > GLOB_LIMITS.maxPatternLength) {
    throw new GlobPatternError(`a pattern has at most ${GLOB_LIMITS.maxPatternLength} characters (got ${pattern.length})`);
  }
  if (hasExtglob(pattern)) {
    throw new GlobPatternError(
      'extglobs such as @(…), *(…), +(…), ?(…) and !(…) are not supported; use {a,b} for alternatives, or write \\( to match a parenthesis',
    );
  }
  let body = pattern;
  let negated = false;
  while (body.startsWith('!')) {
    negated = !negated;
    body = body.slice(1);
  }
  if (body.length === 0) throw new GlobPatternError('a pattern must not be only "!"');
  const alternatives = expandBraces(body).map((text) => {
    let path = text;
    while (path.startsWith('./')) path = path.slice(2);
    const wholePath = hasUnescapedChar(path, '/');
    return { wholePath, length: path.length, segments: splitUnescaped(path, '/').map(parseSegment) };
  });
  return { negated, alternatives };
}

/** Whether `char` occurs in `text` other than right after an escaping backslash. */
function hasUnescapedChar(text: string, char: string): boolean {
  return firstUnescaped(text, char) >= 0;
}

/** `@(`, `*(`, `+(`, `?(` or `!(` with the operator not escaped. */
function hasExtglob(text: string): boolean {
  for (let i = 0; i + 1 < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (EXTGLOB_OPERATORS.includes(text[i]!) && text[i + 1] === '(') return true;
  }
  return false;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

// ---- braces ---------------------------------------------------------------------------------

const NUMERIC_RANGE = /^(-?\d+)\.\.(-?\d+)$/;
const LETTER_RANGE = /^([a-z])\.\.([a-z])$|^([A-Z])\.\.([A-Z])$/;

function tooMany(): never {
  throw new GlobPatternError(`a pattern expands (through {…}) to at most ${GLOB_LIMITS.maxAlternatives} alternatives`);
}

/** Index of the `}` closing the `{` at `open`, or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function firstUnescaped(text: string, char: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === char) return i;
  }
  return -1;
}

function topLevelCommas(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

function rangeValues(inner: string): string[] | undefined {
  const numeric = NUMERIC_RANGE.exec(inner);
  if (numeric) {
    const [from, to] = [Number(numeric[1]), Number(numeric[2])];
    if (Math.abs(to - from) + 1 > GLOB_LIMITS.maxAlternatives) tooMany();
    const padded = [numeric[1]!, numeric[2]!].some((n) => /^-?0\d/.test(n));
    const width = padded ? Math.max(numeric[1]!.replace('-', '').length, numeric[2]!.replace('-', '').length) : 0;
    const step = from <= to ? 1 : -1;
    const values: string[] = [];
    for (let n = from; ; n += step) {
      values.push((n < 0 ? '-' : '') + String(Math.abs(n)).padStart(width, '0'));
      if (n === to) break;
    }
    return values;
  }
  const letters = LETTER_RANGE.exec(inner);
  if (letters) {
    const from = (letters[1] ?? letters[3])!.charCodeAt(0);
    const to = (letters[2] ?? letters[4])!.charCodeAt(0);
    const step = from <= to ? 1 : -1;
    const values: string[] = [];
    for (let c = from; ; c += step) {
      values.push(String.fromCharCode(c));
      if (c === to) break;
    }
    return values;
  }
  return undefined;
}

function product(prefixes: string[], suffixes: string[]): string[] {
  if (prefixes.length * suffixes.length > GLOB_LIMITS.maxAlternatives) tooMany();
  return prefixes.flatMap((p) => suffixes.map((s) => p + s));
}

/**
 * `a{b,c}d` → `abd`, `acd`. A `{…}` without a top-level comma or range is literal (`{a}` matches
 * "{a}", as in picomatch and bash); so is an unclosed `{`. Every intermediate list is capped.
 */
export function expandBraces(text: string): string[] {
  const open = firstUnescaped(text, '{');
  if (open < 0) return [text];
  const close = closingBrace(text, open);
  const prefix = text.slice(0, open);
  if (close < 0) return product([`${prefix}\\{`], expandBraces(text.slice(open + 1)));
  const inner = text.slice(open + 1, close);
  const parts = topLevelCommas(inner);
  let alternatives: string[];
  if (parts.length > 1) {
    alternatives = [];
    for (const part of parts) {
      alternatives.push(...expandBraces(part));
      if (alternatives.length > GLOB_LIMITS.maxAlternatives) tooMany();
    }
  } else {
    alternatives = rangeValues(inner) ?? expandBraces(inner).map((a) => `\\{${a}\\}`);
  }
  return product(
    alternatives.map((a) => prefix + a),
    expandBraces(text.slice(close + 1)),
  );
}

// ---- segments -------------------------------------------------------------------------------

const POSIX_CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => POSIX_CLASSES.alpha!(c) || POSIX_CLASSES.digit!(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  xdigit: (c) => POSIX_CLASSES.digit!(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: (c) => POSIX_CLASSES.alnum!(c) || c === 95,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
};

function parseSegment(text: string): Segment {
  if (text === '**') return { globstar: true };
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      tokens.push({ kind: 'char', code: text.charCodeAt(++i) });
    } else if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' }); // `**` inside a name is one `*`
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      const parsed = parseClass(text, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else tokens.push({ kind: 'char', code: 91 });
    } else {
      tokens.push({ kind: 'char', code: text.charCodeAt(i) });
    }
  }
  return { globstar: false, tokens };
}

/** `[…]` starting at `open`; undefined when it never closes (then `[` is literal). */
function parseClass(text: string, open: number): { token: Token; end: number } | undefined {
  let i = open + 1;
  const negated = text[i] === '!' || text[i] === '^';
  if (negated) i++;
  const ranges: number[] = [];
  const predicates: ((code: number) => boolean)[] = [];
  let first = true;
  for (; i < text.length; i++, first = false) {
    const c = text[i]!;
    if (c === ']' && !first) return { token: { kind: 'class', negated, ranges, predicates }, end: i };
    if (c === '[' && text[i + 1] === ':') {
      const close = text.indexOf(':]', i + 2);
      const predicate = close > 0 ? POSIX_CLASSES[text.slice(i + 2, close)] : undefined;
      if (predicate) {
        predicates.push(predicate);
        i = close + 1;
        continue;
      }
    }
    let low = c.charCodeAt(0);
    if (c === '\\' && i + 1 < text.length) low = text.charCodeAt(++i);
    let high = low;
    if (text[i + 1] === '-' && i + 2 < text.length && text[i + 2] !== ']') {
      i += 2;
      high = text[i] === '\\' && i + 1 < text.length ? text.charCodeAt(++i) : text.charCodeAt(i);
    }
    ranges.push(Math.min(low, high), Math.max(low, high));
  }
  return undefined;
}

// ---- matching -------------------------------------------------------------------------------

function matchesOne(token: Token, code: number): boolean {
  switch (token.kind) {
    case 'char':
      return token.code === code;
    case 'any':
      return true;
    case 'class': {
      let inside = token.predicates.some((p) => p(code));
      for (let r = 0; !inside && r < token.ranges.length; r += 2) inside = code >= token.ranges[r]! && code <= token.ranges[r + 1]!;
      return inside !== token.negated;
    }
    case 'star':
      return false;
  }
}

/**
 * Two-pointer wildcard match of one name. On a mismatch only the most recent `*` is retried one
 * character further: everything before it has matched and an earlier `*` could only absorb more of
 * what the later one can absorb too. So the cost is at most |tokens| × |name|, never exponential.
 */
function matchName(tokens: readonly Token[], name: string): boolean {
  if (name.length === 0) return false; // picomatch: `*` does not match an empty name
  let t = 0;
  let i = 0;
  let starToken = -1;
  let starName = 0;
  while (i < name.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starToken = t++;
      starName = i;
    } else if (token && matchesOne(token, name.charCodeAt(i))) {
      t++;
      i++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      i = ++starName;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

function matchAlternative(alt: Alternative, baseName: string, names: string[] | undefined): boolean {
  if (!alt.wholePath) {
    const only = alt.segments[0]!;
    return only.globstar || matchName(only.tokens, baseName);
  }
  return matchSegments(alt.segments, names!);
}

/**
 * reach[j]: the pattern segments so far match the first j names. A `**` extends every reached j to
 * all later ones (zero or more folders). Cost: Σ over segment pairs ≤ |pattern| × |path|.
 */
function matchSegments(segments: readonly Segment[], names: readonly string[]): boolean {
  let reach = new Array<boolean>(names.length + 1).fill(false);
  reach[0] = true;
  for (const segment of segments) {
    const next = new Array<boolean>(names.length + 1).fill(false);
    if (segment.globstar) {
      let seen = false;
      for (let j = 0; j <= names.length; j++) next[j] = seen ||= reach[j]!;
    } else {
      for (let j = 0; j < names.length; j++) if (reach[j] && matchName(segment.tokens, names[j]!)) next[j + 1] = true;
    }
    reach = next;
  }
  return reach[names.length]!;
}
