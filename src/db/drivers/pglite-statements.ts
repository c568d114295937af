import { parse as pgliteParse, protocol, type PGlite, type Results } from '@electric-sql/pglite';

const { serialize } = protocol;

/**
 * Read statements kept prepared (named) in the embedded backend, so a repeated search parses,
 * analyses and — once PostgreSQL's plan cache settles on a generic plan — plans once instead of on
 * every call. PGlite's own `query()` sends an unnamed Parse/Describe/Bind/Describe/Execute/Sync as
 * six separate calls into the WASM backend and re-plans every time; on the embedded bench's 20k
 * chunks planning was 5–8 ms of each search statement (bench/reports/search-embedded.md). Here a
 * cached statement is one call: Bind/Describe/Execute/Sync.
 *
 * Only SELECT/WITH statements are cached: they are what repeats (searches, listings), and a DDL
 * statement through the driver clears the cache, so a `SELECT *` prepared before a migration never
 * meets "cached plan must not change result type".
 */
export const MAX_PREPARED_STATEMENTS = 200;

interface PreparedStatement {
  name: string;
  paramTypes: number[];
}

/** Process-wide, so two caches on one PGlite (tests) never reuse a name. */
let statementSequence = 0;

const CACHEABLE = /^\s*(select|with)\b/i;
const SCHEMA_CHANGE = /^\s*(create|alter|drop|truncate|comment|grant|revoke)\b/i;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export class PgliteStatementCache {
  /** Insertion order = least recently used first (an entry is re-inserted on every use). */
  private readonly statements = new Map<string, PreparedStatement>();

  constructor(
    private readonly pglite: PGlite,
    private readonly capacity = MAX_PREPARED_STATEMENTS,
  ) {}

  static isCacheable(sqlText: string): boolean {
    return CACHEABLE.test(sqlText);
  }

  get size(): number {
    return this.statements.size;
  }

  /**
   * Runs any statement: a read through its prepared statement, anything else through PGlite's own
   * query(), after closing every prepared statement if it changes the schema.
   */
  async run<R>(sqlText: string, params: readonly unknown[]): Promise<Results<R>> {
    if (PgliteStatementCache.isCacheable(sqlText)) return this.query<R>(sqlText, params);
    if (SCHEMA_CHANGE.test(sqlText) && this.statements.size > 0) await this.closeAll();
    return this.pglite.query<R>(sqlText, [...params]);
  }

  /** A read through its prepared statement (prepared on first use). */
  async query<R>(sqlText: string, params: readonly unknown[]): Promise<Results<R>> {
    return this.pglite.runExclusive(async () => {
      const statement = await this.prepared(sqlText);
      const values = params.map((value, i) => this.serialized(value, statement.paramTypes[i]));
      const { messages } = await this.pglite.execProtocol(
        concat([
          serialize.bind({ statement: statement.name, values }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ]),
        { syncToFs: false },
      );
      return pgliteParse.parseResults(messages, this.pglite.parsers)[0] as Results<R>;
    });
  }

  /** The same serializers PGlite's own query() applies, chosen by the parameter's type. */
  private serialized(value: unknown, typeId: number | undefined): string | null {
    if (value === null || value === undefined) return null;
    const serializer = typeId === undefined ? undefined : this.pglite.serializers[typeId];
    return serializer ? serializer(value) : String(value);
  }

  private async prepared(sqlText: string): Promise<PreparedStatement> {
    const known = this.statements.get(sqlText);
    if (known) {
      this.statements.delete(sqlText);
      this.statements.set(sqlText, known);
      return known;
    }
    const parts: Uint8Array[] = [];
    if (this.statements.size >= this.capacity) {
      const [oldestText, oldest] = this.statements.entries().next().value as [string, PreparedStatement];
      this.statements.delete(oldestText);
      parts.push(serialize.close({ type: 'S', name: oldest.name }));
    }
    const name = `semantik_s${++statementSequence}`;
    parts.push(serialize.parse({ name, text: sqlText }), serialize.describe({ type: 'S', name }), serialize.sync());
    const { messages } = await this.pglite.execProtocol(concat(parts), { syncToFs: false });
    const statement = { name, paramTypes: pgliteParse.parseDescribeStatementResults(messages) };
    this.statements.set(sqlText, statement);
    return statement;
  }

  private async closeAll(): Promise<void> {
    const names = [...this.statements.values()].map((s) => s.name);
    this.statements.clear();
    await this.pglite.runExclusive(() =>
      this.pglite.execProtocol(concat([...names.map((name) => serialize.close({ type: 'S', name })), serialize.sync()]), { syncToFs: false }),
    );
  }
}
