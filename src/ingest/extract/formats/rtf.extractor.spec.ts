import { describe, expect, it } from 'vitest';
import { buildRtf } from '../../../../test/fixtures/format-files.js';
import { ExtractionError } from '../extraction.error.js';
import { extractRtf } from './rtf.extractor.js';

/** The RTF tokenizer on hand-written documents: what is kept, what is skipped, what is corrupt. */
const rtf = (body: string) => extractRtf(Buffer.from(body, 'latin1'));

function corrupt(body: string): ExtractionError {
  let caught: unknown;
  try {
    rtf(body);
  } catch (err) {
    caught = err;
  }
  expect(caught, body.slice(0, 40)).toBeInstanceOf(ExtractionError);
  expect((caught as ExtractionError).reason).toBe('corrupt');
  return caught as ExtractionError;
}

describe('RTF extraction', () => {
  it('keeps paragraphs and drops the font, colour and style tables, pictures and \\* destinations', () => {
    const result = rtf(
      '{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}{\\f1 Arial;}}{\\colortbl;\\red255\\green0\\blue0;}' +
        '{\\stylesheet{\\s0 Normal;}}{\\*\\generator Riched20 10.0;}{\\*\\bkmkstart secret}' +
        '\\pard\\b Bold\\b0  words\\par\n{\\pict\\pngblip 89504e470d0a1a0a}Second \\i paragraph\\i0 .\\par}',
    );
    expect(result.text).toBe('Bold words\n\nSecond paragraph.');
    expect(result.format).toBe('plain');
  });

  it('decodes \\uN with its fallback skipped (\\ucN), surrogate pairs, and \\\'hh in \\ansicpg or the font\'s \\fcharset', () => {
    expect(rtf('{\\rtf1\\ansi Caf\\u233?\\par}').text).toBe('Café');
    expect(rtf('{\\rtf1\\ansi\\uc2 na\\u239\\\'3f\\\'3fve}').text).toBe('naïve');
    expect(rtf('{\\rtf1\\ansi\\uc0 \\u-10179\\u-8704 }').text).toBe('😀');
    expect(rtf('{\\rtf1\\ansi\\ansicpg1252 na\\\'efve \\\'93quoted\\\'94}').text).toBe('naïve “quoted”');
    expect(rtf('{\\rtf1\\ansi\\ansicpg1251 \\\'cf\\\'f0\\\'e8\\\'e2\\\'e5\\\'f2}').text).toBe('Привет');
    // Cyrillic font in a Western document: the font's charset (204 → cp1251) decides, not \ansicpg.
    expect(rtf('{\\rtf1\\ansi\\ansicpg1252{\\fonttbl{\\f1\\fcharset204 Arial;}}{\\f1 \\\'cf\\\'f0\\\'e8} caf\\\'e9}').text).toBe('При café');
    // Two bytes of one Shift-JIS character, decoded together.
    expect(rtf('{\\rtf1\\ansi\\ansicpg932 \\\'82\\\'a0}').text).toBe('あ');
  });

  it('escapes, breaks, tables and field results', () => {
    const result = rtf(
      '{\\rtf1 a\\{b\\}c\\\\d\\tab e\\line f\\~g\\emdash h\\par' +
        '\\trowd a1\\cell b1\\cell\\row ' +
        '{\\field{\\*\\fldinst HYPERLINK "https://example.test"}{\\fldrslt the link}}\\par}',
    );
    expect(result.text).toBe('a{b}c\\d\te\nf\u00a0g\u2014h\n\na1 | b1\nthe link');
  });

  it('takes title, author, subject and dates from \\info and nothing else from it', () => {
    const result = rtf(
      '{\\rtf1{\\info{\\title The Lighthouse}{\\author Mara Keeper}{\\subject Logs}{\\operator hidden op}' +
        '{\\creatim\\yr2024\\mo3\\dy5\\hr14\\min7}{\\revtim\\yr2024\\mo4\\dy1}{\\*\\company Hidden Co}}Body text.}',
    );
    expect(result).toMatchObject({
      title: 'The Lighthouse',
      text: 'Body text.',
      metadata: { author: 'Mara Keeper', subject: 'Logs', created: '2024-03-05T14:07', modified: '2024-04-01T00:00' },
    });
    expect(JSON.stringify(result)).not.toMatch(/hidden/i);
  });

  it('\\binN skips raw bytes; text after the document group is ignored', () => {
    expect(rtf('{\\rtf1 before {\\*\\objdata\\bin4 }}{\\}after}trailing junk').text).toBe('before after');
  });

  it('the fixture builder round-trips through the extractor', () => {
    const result = extractRtf(buildRtf({ title: 'Built', author: 'Builder', paragraphs: ['Ünïcode paragraph', 'Braces {kept}'] }));
    expect(result).toMatchObject({ title: 'Built', text: 'Ünïcode paragraph\n\nBraces {kept}', metadata: { author: 'Builder' } });
  });

  it('corrupt: no header, a truncated file, a bad hex escape, runaway nesting, \\bin past the end', () => {
    expect(corrupt('just words').message).toMatch(/corrupt RTF: no \{\\rtf header/);
    expect(corrupt('{\\rtf1 {\\b unclosed').message).toMatch(/2 group\(s\) not closed/);
    expect(corrupt("{\\rtf1 \\'zz}").message).toMatch(/bad \\' escape/);
    expect(corrupt(`{\\rtf1 ${'{'.repeat(600)}`).message).toMatch(/nested deeper than 512/);
    expect(corrupt('{\\rtf1 \\bin999 abc}').message).toMatch(/runs past the end/);
    expect(corrupt('{\\rtf1 text\\').message).toMatch(/ends inside a control word/);
  });
});
