/**
 * Batched inserts on PostgreSQL without building a query per batch: the n-row statement is compiled
 * once by Kysely (the same builder as SQLite's PreparedInsert, so the SQL is the one the tests
 * check) and its text kept, for every n up to MAX_ROWS; a group commit then only flattens its rows
 * into the parameter list. Building and compiling a 10-row insert through Kysely cost about as much
 * CPU as the rest of the ledger write (bench:profile --postgres); larger batches go in chunks.
 */
import { CompiledQuery } from './kysely.js';
import { pushRow } from './sqlite-batch.js';

/** Rows per cached statement: texts for 1…64 rows are kept (a 64-row, 28-column insert is about 12 KB of SQL). */
export const MAX_ROWS = 64;

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
    let text = this.texts[count];
    if (text === undefined) {
      const compiled = this.compile(count);
      if (compiled.parameters.length !== this.columns.length * count)
        throw new Error(`compiled insert: expected ${this.columns.length * count} parameters, got ${compiled.parameters.length}`);
      text = this.texts[count] = compiled.sql;
    }
    return text;
  }
}
