import type { Element } from '@xmldom/xmldom';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FormatText } from '../extracted-text.js';
import { ExtractionError } from '../extraction.error.js';
import { joinSections, type NumberedSection } from '../sectioned.text.js';
import { decodeText } from '../text.decoder.js';
import { attributeByLocalName, elementsByLocalName, openZip, readXml, textByLocalName } from './zipped-xml.js';

export interface Sheet {
  name: string;
  /** Cell texts, one array per non-empty row; the first row is taken as the header. */
  rows: string[][];
}

/**
 * Rows per section are capped by characters: the default embedding model reads the first ~128
 * tokens (500–800 characters, docs/ingest.md), so a group of ~800 characters is one chunk with its
 * header line in front, and a question about a row meets the column names it is filed under.
 */
const ROW_GROUP_CHARS = 800;

/** ODS files declare up to 16384 repeated empty columns / 1M repeated rows; only this many are expanded. */
const MAX_REPEAT = 1000;

/**
 * One section per row group: `# Sheet (rows 2–31)`, then the header row, then the rows, cells
 * joined by ` | `. Each sheet's 1-based number travels with its chunks (`page`, unit `sheet`).
 */
export function sheetsToText(sheets: readonly Sheet[], numbered: boolean): Pick<FormatText, 'text' | 'pages' | 'format'> {
  const sections: NumberedSection[] = [];
  sheets.forEach((sheet, sheetIndex) => {
    const [header, ...rows] = sheet.rows;
    if (!header) return;
    const headerLine = header.join(' | ');
    const number = numbered ? sheetIndex + 1 : undefined;
    if (rows.length === 0) {
      sections.push({ number, heading: sheet.name, body: headerLine });
      return;
    }
    let group: string[] = [];
    let groupStart = 2; // spreadsheet row numbers: the header is row 1
    let size = headerLine.length;
    const flush = (lastRow: number) => {
      if (group.length === 0) return;
      sections.push({ number, heading: `${sheet.name} (rows ${groupStart}–${lastRow})`, body: [headerLine, ...group].join('\n') });
      group = [];
      groupStart = lastRow + 1;
      size = headerLine.length;
    };
    rows.forEach((row, i) => {
      const line = row.join(' | ');
      if (group.length > 0 && size + line.length + 1 > ROW_GROUP_CHARS) flush(i + 1);
      group.push(line);
      size += line.length + 1;
    });
    flush(rows.length + 1);
  });
  return { ...joinSections(sections), format: 'markdown' };
}

function nonEmptyRows(rows: string[][]): string[][] {
  return rows.map((row) => trimTrailingEmpty(row.map((cell) => cell.replace(/\s+/g, ' ').trim()))).filter((row) => row.length > 0);
}

function trimTrailingEmpty(row: string[]): string[] {
  let end = row.length;
  while (end > 0 && row[end - 1] === '') end--;
  return row.slice(0, end);
}

export async function extractXlsx(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt XLSX: ${(err as Error).message}`, filePath, { cause: err });
  }
  const sheets: Sheet[] = [];
  workbook.eachSheet((worksheet) => {
    const rows: string[][] = [];
    worksheet.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, column) => {
        cells[column - 1] = cell.text ?? '';
      });
      rows.push(Array.from(cells, (cell) => cell ?? ''));
    });
    sheets.push({ name: worksheet.name, rows: nonEmptyRows(rows) });
  });
  const metadata: Record<string, string | number | string[]> = { sheet_count: sheets.length, sheets: sheets.map((s) => s.name) };
  if (workbook.creator) metadata['author'] = workbook.creator;
  if (workbook.created instanceof Date && !Number.isNaN(workbook.created.getTime())) metadata['created'] = workbook.created.toISOString();
  if (workbook.modified instanceof Date && !Number.isNaN(workbook.modified.getTime())) metadata['modified'] = workbook.modified.toISOString();
  const title = workbook.title?.trim();
  return { ...sheetsToText(sheets, true), pageUnit: 'sheet', ...(title ? { title } : {}), metadata };
}

export async function extractOds(bytes: Uint8Array, filePath?: string): Promise<FormatText> {
  const zip = await openZip(bytes, 'ODS', filePath);
  const content = await readXml(zip, 'content.xml', 'ODS', filePath);
  if (!content) throw new ExtractionError('corrupt', 'corrupt ODS: content.xml missing', filePath);
  const sheets: Sheet[] = elementsByLocalName(content, 'table').map((table) => ({
    name: attributeByLocalName(table, 'name') ?? 'Sheet',
    rows: nonEmptyRows(odsRows(table)),
  }));
  const meta = await readXml(zip, 'meta.xml', 'ODS', filePath).catch(() => undefined);
  const title = meta ? textByLocalName(meta, 'title') : undefined;
  const author = meta ? (textByLocalName(meta, 'initial-creator') ?? textByLocalName(meta, 'creator')) : undefined;
  return {
    ...sheetsToText(sheets, true),
    pageUnit: 'sheet',
    ...(title ? { title } : {}),
    metadata: { sheet_count: sheets.length, sheets: sheets.map((s) => s.name), ...(author ? { author } : {}) },
  };
}

function odsRows(table: Element): string[][] {
  const rows: string[][] = [];
  for (const row of elementsByLocalName(table, 'table-row')) {
    const cells: string[] = [];
    for (const cell of elementsByLocalName(row, 'table-cell')) {
      const text = elementsByLocalName(cell, 'p').map((p) => p.textContent ?? '').join(' ');
      const repeat = Math.min(Number(attributeByLocalName(cell, 'number-columns-repeated') ?? 1) || 1, MAX_REPEAT);
      for (let i = 0; i < repeat; i++) cells.push(text);
    }
    const repeatRows = Math.min(Number(attributeByLocalName(row, 'number-rows-repeated') ?? 1) || 1, MAX_REPEAT);
    if (cells.some((cell) => cell.trim() !== '')) for (let i = 0; i < repeatRows; i++) rows.push(cells);
  }
  return rows;
}

export function extractCsv(bytes: Uint8Array, filePath: string, delimiter: ',' | '\t'): FormatText {
  const text = decodeText(bytes, filePath);
  let rows: string[][];
  try {
    rows = parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    throw new ExtractionError('corrupt', `corrupt ${delimiter === ',' ? 'CSV' : 'TSV'}: ${(err as Error).message}`, filePath, { cause: err });
  }
  const name = filePath.split('/').pop() ?? 'table';
  const cleaned = nonEmptyRows(rows);
  return { ...sheetsToText([{ name, rows: cleaned }], false), metadata: { row_count: Math.max(0, cleaned.length - 1), columns: cleaned[0] ?? [] } };
}
