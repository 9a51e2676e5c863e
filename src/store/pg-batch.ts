/**
 * Batched inserts without building a query per batch. On PostgreSQL (JsonRowsInsert) a batch of any
 * size is one statement with one parameter, the rows as JSON; under a Kysely transaction on SQLite
 * (CompiledInsert, the rare path: the prepared statements of sqlite-batch.ts serve the rest) the
 * n-row insert is compiled once by Kysely and its text kept. Building and compiling a 10-row insert
 * through Kysely, then binding its ~100 parameters one by one, cost more CPU than the rest of a
 * ledger write (bench:profile --postgres).
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

/**
 * A PostgreSQL insert of any number of rows with one parameter: the rows as a JSON array, unpacked
 * by `json_populate_recordset` against the table's own row type (each column keeps its type; keys
 * that are not columns are ignored, absent ones are NULL). node-postgres serialises every bound
 * parameter on its own — 88 for 8 ledger entries, 476 for 17 records — while JSON.stringify of a
 * batch is one native call. `tail` follows the SELECT (ON CONFLICT …, RETURNING …).
 */
export class JsonRowsInsert {
  private readonly head: string;

  constructor(
    table: string,
    columns: readonly string[],
    private readonly tail: string,
  ) {
    const list = columns.map((column) => `"${column}"`).join(', ');
    this.head = `insert into "${table}" (${list}) select ${list} from json_populate_recordset(null::"${table}", `;
  }

  /** The statement's text taking its rows from parameter `$param` (to be combined with others). */
  statement(param: number): string {
    return `${this.head}$${param}) ${this.tail}`;
  }

  query<Result = unknown>(rows: readonly object[]): CompiledQuery<Result> {
    return CompiledQuery.raw(this.statement(1), [jsonRows(rows)]) as CompiledQuery<Result>;
  }
}

/** The parameter a JsonRowsInsert statement takes. */
export function jsonRows(rows: readonly object[]): string {
  return textSafe(JSON.stringify(rows));
}

/** node-postgres's error for a unique key already taken (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** A NUL or a lone surrogate as JSON.stringify escapes it (an odd run of backslashes, then u…). */
const UNSTORABLE = /(\\+)u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * JSON whose strings PostgreSQL's text type can hold: a NUL (which text cannot store) and a lone
 * surrogate (which its JSON parser rejects) become U+FFFD, as node-postgres's UTF-8 encoding makes
 * of a lone surrogate in a bound parameter. One upstream error message carrying either would
 * otherwise fail its whole batch again at every retry.
 */
export function textSafe(json: string): string {
  if (!json.includes('\\u')) return json;
  return json.replace(UNSTORABLE, (match: string, slashes: string) => (slashes.length % 2 === 1 ? `${slashes.slice(1)}\\ufffd` : match));
}
