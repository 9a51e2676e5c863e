/**
 * Fast batched inserts on SQLite: the statement is compiled once by Kysely (the same query as on
 * PostgreSQL), prepared once by better-sqlite3, and run for every row inside one synchronous
 * transaction — no per-batch query building or statement preparation on the hot write path.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';

/** Rows per multi-row statement, largest first (one sqlite3_step per group); 64 × 30 columns stays far below SQLite's variable limit. */
const GROUPS = [64, 16, 4, 1] as const;

export class PreparedInsert<Row extends object> {
  /** One statement per size in GROUPS, each prepared the first time a batch needs it (an idle start prepares none). */
  private readonly statements: Array<BetterSqlite3.Statement | undefined> = GROUPS.map(() => undefined);

  /** `compile(n)` is an n-row insert whose parameters are exactly `columns` for each row, in order. */
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly compile: (rows: number) => CompiledQuery,
    private readonly columns: ReadonlyArray<keyof Row & string>,
  ) {}

  private statement(group: number): BetterSqlite3.Statement {
    let statement = this.statements[group];
    if (!statement) {
      const compiled = this.compile(GROUPS[group]!);
      if (compiled.parameters.length !== this.columns.length * GROUPS[group]!)
        throw new Error(`prepared insert: expected ${this.columns.length * GROUPS[group]!} parameters, got ${compiled.parameters.length}`);
      statement = this.statements[group] = this.database.prepare(compiled.sql);
    }
    return statement;
  }

  /** Inserts every row (call inside a transaction). */
  runAll(rows: readonly Row[]): void {
    this.each(rows, (statement, values) => void statement.run(values));
  }

  /** Inserts every row and returns what the statement's RETURNING clause gives for the rows it inserted. */
  runAllReturning<Returned>(rows: readonly Row[]): Returned[] {
    const returned: Returned[] = [];
    this.each(rows, (statement, values) => {
      for (const row of statement.all(values) as Returned[]) returned.push(row);
    });
    return returned;
  }

  private each(rows: readonly Row[], run: (statement: BetterSqlite3.Statement, values: unknown[]) => void): void {
    let start = 0;
    GROUPS.forEach((size, group) => {
      for (; start + size <= rows.length; start += size) {
        const values: unknown[] = [];
        for (let index = start; index < start + size; index++) this.push(values, rows[index]!);
        run(this.statement(group), values);
      }
    });
  }

  private push(values: unknown[], row: Row): void {
    pushRow(values, row, this.columns);
  }
}

/** Appends a row's values in `columns` order (undefined written as NULL): the parameters of one row of a compiled insert. */
export function pushRow<Row extends object>(values: unknown[], row: Row, columns: ReadonlyArray<keyof Row & string>): void {
  const record = row as Record<string, unknown>;
  for (const column of columns) {
    const value = record[column];
    values.push(value === undefined ? null : value);
  }
}

/** Runs `work` in one transaction, unless another (Kysely) transaction is open: then returns false. */
export function inTransaction(database: BetterSqlite3.Database, work: () => void): boolean {
  if (database.inTransaction) return false;
  database.transaction(work)();
  return true;
}

/** `count` row objects with every column set to a placeholder, in a fixed order (for compiling the insert once). */
export function placeholderRows<Row extends object>(columns: ReadonlyArray<keyof Row & string>, count: number): Row[] {
  return Array.from({ length: count }, () => Object.fromEntries(columns.map((column) => [column, null])) as Row);
}
