import Database from 'better-sqlite3';

/**
 * The baseline: whole-document BM25 the way a 30-line script does it — SQLite FTS5 (porter stemmer,
 * unicode61 tokenizer) over each file's full extracted text, the query's words OR'd, ranked by
 * FTS5's bm25(). Same extracted text as the product indexes, so only ranking differs.
 */
export class Fts5Baseline {
  private readonly db = new Database(':memory:');

  constructor() {
    this.db.exec(`CREATE VIRTUAL TABLE docs USING fts5(file UNINDEXED, body, tokenize = 'porter unicode61')`);
  }

  add(file: string, body: string): void {
    this.db.prepare('INSERT INTO docs (file, body) VALUES (?, ?)').run(file, body);
  }

  search(query: string, limit = 10): string[] {
    const words = query.match(/[\p{L}\p{N}_]+/gu) ?? [];
    if (words.length === 0) return [];
    const match = words.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
    const rows = this.db.prepare(`SELECT file FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?`).all(match, limit) as Array<{ file: string }>;
    return rows.map((r) => r.file);
  }

  close(): void {
    this.db.close();
  }
}
