/**
 * Fast batched inserts on SQLite: the statement is compiled once by Kysely (the same query as on
 * PostgreSQL), prepared once by better-sqlite3, and run for every row inside one synchronous
 * transaction — no per-batch query building or statement preparation on the hot write path
 * (PreparedInsert). Under another Kysely transaction, the rare path, the rows go through Kysely's
 * connection instead, as SQL compiled once per batch size (CompiledInsert).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery } from './kysely.js';

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
      statement = this.statements[group] = this.database.prepare(checkedSql(this.compile, this.columns, GROUPS[group]!));
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

/** `compile(count)`'s SQL, once its parameters are checked to be exactly `columns` for each row. */
function checkedSql(compile: (rows: number) => CompiledQuery, columns: readonly string[], count: number): string {
  const compiled = compile(count);
  if (compiled.parameters.length !== columns.length * count)
    throw new Error(`compiled insert: expected ${columns.length * count} parameters, got ${compiled.parameters.length}`);
  return compiled.sql;
}

/** Rows per cached statement: texts for 1…64 rows are kept (a 64-row, 28-column insert is about 12 KB of SQL). */
const MAX_ROWS = 64;

/** Inserts through Kysely's connection (under its transaction), as SQL compiled once per batch size (up to MAX_ROWS rows; larger batches in chunks). */
export class CompiledInsert<Row extends object> {
  private readonly texts: Array<string | undefined> = [];

  /** `compile(n)` is an n-row insert whose parameters are exactly `columns` for each row, in order. */
  constructor(
    private readonly compile: (rows: number) => CompiledQuery,
    private readonly columns: ReadonlyArray<keyof Row & string>,
  ) {}

  /** The statements that insert `rows`, in order: one per chunk of at most MAX_ROWS rows. */
  queries<Result = unknown>(rows: readonly Row[]): Array<CompiledQuery<Result>> {
    const queries: Array<CompiledQuery<Result>> = [];
    for (let start = 0; start < rows.length; start += MAX_ROWS) {
      const end = Math.min(rows.length, start + MAX_ROWS);
      const values: unknown[] = [];
      for (let index = start; index < end; index++) pushRow(values, rows[index]!, this.columns);
      queries.push(CompiledQuery.raw(this.text(end - start), values) as CompiledQuery<Result>);
    }
    return queries;
  }

  private text(count: number): string {
    return (this.texts[count] ??= checkedSql(this.compile, this.columns, count));
  }
}

/** Appends a row's values in `columns` order (undefined written as NULL): the parameters of one row of a compiled insert. */
function pushRow<Row extends object>(values: unknown[], row: Row, columns: ReadonlyArray<keyof Row & string>): void {
  const record = row as Record<string, unknown>;
  for (const column of columns) {
    const value = record[column];
    values.push(value === undefined ? null : value);
  }
}

/**
 * One transaction runner per database, made once: `database.transaction(fn)` builds a new wrapper
 * (and its deferred/immediate/exclusive variants) at every call, ~10 µs of a commit's ~50.
 */
const runners = new WeakMap<BetterSqlite3.Database, (work: () => void) => void>();

/** Runs `work` in one transaction, unless another (Kysely) transaction is open: then returns false. */
export function inTransaction(database: BetterSqlite3.Database, work: () => void): boolean {
  if (database.inTransaction) return false;
  let run = runners.get(database);
  if (!run) runners.set(database, (run = database.transaction((body: () => void) => body())));
  run(work);
  return true;
}

/** `count` row objects with every column set to a placeholder, in a fixed order (for compiling the insert once). */
export function placeholderRows<Row extends object>(columns: ReadonlyArray<keyof Row & string>, count: number): Row[] {
  return Array.from({ length: count }, () => Object.fromEntries(columns.map((column) => [column, null])) as Row);
}
