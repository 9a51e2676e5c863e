/**
 * Batched inserts on PostgreSQL without building a query per batch: a batch of any size is one
 * statement with one parameter, the rows as JSON. Building and compiling a 10-row insert through
 * Kysely, then binding its ~100 parameters one by one, cost more CPU than the rest of a ledger write
 * (bench:profile --postgres). SQLite's counterparts are in sqlite-batch.ts.
 */
import { CompiledQuery } from './kysely.js';

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
    return preparedQuery<Result>(this.statement(1), [jsonRows(rows)]);
  }
}

/** Statement texts run on every group commit, each with the name it is prepared under. */
const prepared = new Map<string, string>();
/** More distinct texts than the hot inserts could make would be a bug: the rest run unnamed. */
const MAX_PREPARED = 64;

/**
 * A query whose text is prepared once per PostgreSQL connection and then only bound and executed
 * (a named statement): PostgreSQL parses and plans a batch insert once per connection instead of on
 * every group commit, and the client sends its text once. For constant texts only (the batch
 * inserts): each distinct text takes a name for the life of the process.
 */
export function preparedQuery<Result = unknown>(text: string, parameters: unknown[]): CompiledQuery<Result> {
  if (!prepared.has(text) && prepared.size < MAX_PREPARED) prepared.set(text, `agora_batch_${prepared.size + 1}`);
  return CompiledQuery.raw(text, parameters) as CompiledQuery<Result>;
}

/** The name `text` is prepared under (see preparedQuery), or undefined to run it unnamed. */
export function preparedName(text: string): string | undefined {
  return prepared.get(text);
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
