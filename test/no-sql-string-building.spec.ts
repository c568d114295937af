import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Policy check: SQL is built with Kysely or `sql` tagged templates only. Flags the ways text gets
 * pasted into SQL: sql.raw(), CompiledQuery.raw() with a non-literal, and .query() with an
 * interpolated template or `+` concatenation. Allowed exceptions are listed with their reason.
 */
const ALLOWED: Record<string, string> = {
  // BEGIN/COMMIT built from Kysely's enumerated isolation level / access mode, never user text.
  'src/db/drivers/transaction-control.ts': 'transaction control statements',
  // Rebuilds indexes/foreign keys dropped for a bulk load from the text pg_get_indexdef() /
  // pg_get_constraintdef() gave for this very database, shape-checked before use; never user input.
  'src/migrate-sqlite/deferred-constraints.ts': 'DDL from the database catalog',
};

const PATTERNS: Array<[string, RegExp]> = [
  ['sql.raw()', /\bsql\.raw\s*\(/],
  ['CompiledQuery.raw() with a non-literal', /CompiledQuery\.raw\s*\(\s*(?!['"][^'"`]*['"]\s*\))/],
  ['query() with an interpolated template', /\.query\s*\(\s*`[^`]*\$\{/],
  ['query() with string concatenation', /\.query\s*\(\s*(['"][^'"]*['"]|`[^`]*`)\s*\+/],
  ['query() with a variable built elsewhere by concatenation', /(?:const|let)\s+\w*[sS]ql\w*\s*=\s*(['"`][^'"`]*['"`])\s*\+\s*\w/],
];

export function findViolations(source: string): string[] {
  const found: string[] = [];
  for (const [name, pattern] of PATTERNS) if (pattern.test(source)) found.push(name);
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !/\.spec\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

describe('no SQL string building', () => {
  it('the detector catches each forbidden shape', () => {
    expect(findViolations('await sql.raw(`DROP ${x}`)')).toContain('sql.raw()');
    expect(findViolations('client.query(`SELECT * FROM t WHERE a = ${a}`)')).toContain('query() with an interpolated template');
    expect(findViolations("client.query('SELECT * FROM t WHERE a = ' + a)")).toContain('query() with string concatenation');
    expect(findViolations('CompiledQuery.raw(text)')).toContain('CompiledQuery.raw() with a non-literal');
    expect(findViolations("const sqlText = 'SELECT ' + column")).toHaveLength(1);
    expect(findViolations("CompiledQuery.raw('commit')")).toEqual([]);
    expect(findViolations('sql`SELECT ${value}`')).toEqual([]);
  });

  it('no file under src/ builds SQL from strings', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const offenders = sourceFiles(path.join(root, 'src'))
      .map((file) => [path.relative(root, file), findViolations(fs.readFileSync(file, 'utf8'))] as const)
      .filter(([file, violations]) => violations.length > 0 && !ALLOWED[file]);
    expect(offenders).toEqual([]);
  });
});
