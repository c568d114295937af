import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { canonicalJson, canonicalNumber, parseJson } from './canonical-json.js';
import { ConversionProblem, convertBoolean, convertDatetime, convertEnum, float8Text, legacyIdToUuid } from './value-converters.js';

// The checksum depends on the JS side printing exactly what PostgreSQL prints; these compare with
// the real server rather than with hand-written expectations.
let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await client.connect();
});
afterAll(async () => {
  await client.end();
});

describe('canonical JSON equals jsonb::text', () => {
  const samples = [
    '{"b":1,"aa":[1.0,1e2,-0,1.5E-3,0.0,-0.0,1e400,12345678901234567890],"a":"é\\u00e9\\n\\u001f\\u2028/","":null}',
    '{"ключ":"значение","emoji":"🚀","k":"\\ud83d\\ude00","nested":{"z":{"y":[true,false,null,{}]}}}',
    '[1E-7, 2.50e+3, 0.000, -12.3400, 7e-0, 1.23456789e-20]',
    '{"a":1,"a":2}',
    '"just a string with \\"quotes\\" and \\\\ and \\t"',
    '{"é":1,"e":2,"ee":3,"z":4,"√":5}',
    '  {"spaces" :  [ 1 , 2 ] }  ',
  ];
  for (const text of samples) {
    it(text.slice(0, 40), async () => {
      const { rows } = await client.query<{ t: string }>('SELECT $1::jsonb::text AS t', [text]);
      expect(canonicalJson(parseJson(text))).toBe(rows[0]!.t);
    });
  }

  it('rejects what jsonb rejects: \\u0000, NaN, trailing commas', () => {
    expect(() => parseJson('{"a":"\\u0000"}')).toThrow(/u0000/);
    expect(() => parseJson('{"a": NaN}')).toThrow();
    expect(() => parseJson('[1,]')).toThrow();
    expect(() => parseJson('"\\udce9"')).toThrow(/surrogate/);
  });

  it("with leniency, reads what Python's json.dumps writes: NaN/Infinity → null, lone surrogates → U+FFFD", () => {
    const seen: string[] = [];
    const lenient = { onNonFinite: (l: string) => seen.push(l), onLoneSurrogate: (e: string) => seen.push(e) };
    expect(canonicalJson(parseJson('{"a": NaN, "b": [Infinity, -Infinity, -1]}', lenient))).toBe('{"a": null, "b": [null, null, -1]}');
    expect(parseJson('["\\ud83d\\ude00", "caf\\udce9", "\\ud83d"]', lenient)).toEqual(['😀', 'caf\uFFFD', '\uFFFD']);
    expect(seen).toEqual(['NaN', 'Infinity', '-Infinity', '\\udce9', '\\ud83d']);
  });

  it('normalizes numbers like numeric', () => {
    expect(canonicalNumber('1.5e1')).toBe('15');
    expect(canonicalNumber('1.234e1')).toBe('12.34');
    expect(canonicalNumber('1.0e-2')).toBe('0.010');
    expect(canonicalNumber('-0.0')).toBe('0.0');
  });
});

describe('float8Text equals float8out', () => {
  it('prints like PostgreSQL for awkward values', async () => {
    const values = [0, -0, 1, -1.5, 0.1 + 0.2, 1e20, 1e15, 1e14, 999999999999999.9, 123456789012345.6, 1e-4, -1e-4, 9.999999999999999e-5, 1e-5, 1.5e-7, 12345678901234567, 5e-324, 1.7976931348623157e308, Infinity, -Infinity];
    for (const v of values) {
      const { rows } = await client.query<{ t: string }>('SELECT $1::float8::text AS t', [Object.is(v, -0) ? '-0' : String(v)]);
      expect(float8Text(v), String(v)).toBe(rows[0]!.t);
    }
  });
});

describe('value converters', () => {
  it('converts DATETIME text with and without fractions and offsets to UTC', () => {
    expect(convertDatetime('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05.000000Z');
    expect(convertDatetime('2024-01-02 03:04:05.5')).toBe('2024-01-02T03:04:05.500000Z');
    expect(convertDatetime('2024-01-02 03:04:05.123456')).toBe('2024-01-02T03:04:05.123456Z');
    expect(convertDatetime('2024-01-02T03:04:05.123456+00:00')).toBe('2024-01-02T03:04:05.123456Z');
    expect(convertDatetime('2024-01-02T03:04:05+02:00')).toBe('2024-01-02T01:04:05.000000Z');
    expect(convertDatetime('2024-01-01T00:30:00-05:30')).toBe('2024-01-01T06:00:00.000000Z');
    expect(convertDatetime('2023-01-01T00:00:00')).toBe('2023-01-01T00:00:00.000000Z');
    expect(convertDatetime(1700000000.25)).toBe('2023-11-14T22:13:20.250000Z');
    expect(() => convertDatetime('2023-02-30 00:00:00')).toThrow(ConversionProblem);
    expect(() => convertDatetime('yesterday')).toThrow(/not a timestamp/);
  });

  it('checks every field of the collections-era format (its character-code fast path) like the general parser', () => {
    expect(convertDatetime('2024-02-29 23:59:59.999999')).toBe('2024-02-29T23:59:59.999999Z');
    expect(convertDatetime('2000-02-29 00:00:00')).toBe('2000-02-29T00:00:00.000000Z');
    expect(convertDatetime('0001-01-01 00:00:00.1')).toBe('0001-01-01T00:00:00.100000Z');
    expect(convertDatetime('2024-01-02T03:04:05.12')).toBe('2024-01-02T03:04:05.120000Z');
    // Longer fractions go to the general parser, which keeps microseconds (rounded down).
    expect(convertDatetime('2024-01-02 03:04:05.1234567')).toBe('2024-01-02T03:04:05.123456Z');
    for (const bad of ['1900-02-29 00:00:00', '2023-02-29 00:00:00', '2024-04-31 00:00:00', '2024-13-01 00:00:00', '2024-00-10 00:00:00', '2024-01-00 00:00:00',
      '0000-01-01 00:00:00', '2024-01-02 24:00:00', '2024-01-02 03:60:00', '2024-01-02 03:04:60', '2024-01-02 03:04:05.12a', '2024-01-02 03:04:05.', '2024-01-02 3:04:05x',
      '2024/01/02 03:04:05', '2024-01-02_03:04:05', '2024-01-02 03-04-05', '２０２４-01-02 03:04:05']) {
      expect(() => convertDatetime(bad), bad).toThrow(ConversionProblem);
    }
  });

  it('stores timestamps PostgreSQL reads back identically', async () => {
    const text = convertDatetime('2024-01-02T03:04:05.123456+05:00');
    const { rows } = await client.query<{ t: string }>(
      `SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`,
      [text],
    );
    expect(rows[0]!.t).toBe(text);
  });

  it('converts booleans and enums strictly', () => {
    expect(convertBoolean(1)).toBe(true);
    expect(convertBoolean(0)).toBe(false);
    expect(() => convertBoolean(2)).toThrow(ConversionProblem);
    expect(convertEnum('REMOVE_SOURCE', ['index', 'remove_source'], 'type')).toBe('remove_source');
    expect(convertEnum('index', ['index'], 'type')).toBe('index');
    expect(() => convertEnum('Index', ['index'], 'type')).toThrow(/unknown type/);
    expect(() => convertEnum('DELETED', ['pending'], 'document status')).toThrow(/DELETED/);
  });

  it('keeps valid uuids and derives stable ones for other ids', () => {
    expect(legacyIdToUuid('x', '1b4e28ba-2fa1-11d2-883f-0016d3cca427')).toEqual({ uuid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', derived: false });
    expect(legacyIdToUuid('x', '1b4e28ba2fa111d2883f0016d3cca427')).toEqual({ uuid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', derived: false });
    expect(legacyIdToUuid('x', '1B4E28BA-2FA1-11D2-883F-0016D3CCA427')).toEqual({ uuid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', derived: false });
    const a = legacyIdToUuid('collections', 'legacy-7');
    expect(a.derived).toBe(true);
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(legacyIdToUuid('collections', 'legacy-7').uuid).toBe(a.uuid);
    expect(legacyIdToUuid('documents', 'legacy-7').uuid).not.toBe(a.uuid);
  });
});
