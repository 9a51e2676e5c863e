/**
 * Usage rollups (migration 0007): upserts that add a batch's counts to the hour and day rows, and
 * the range reads rankings are answered from. All SQL here; what is counted and under which names is
 * decided by rankings/rollup.ts.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { Database, UsageRollupsTable } from '../database.js';
import { JsonRowsInsert } from '../pg-batch.js';
import { CompiledInsert, placeholderRows, PreparedInsert } from '../sqlite-batch.js';

export type RollupDelta = UsageRollupsTable;

/** A rollup row's columns: its key (grain, dim, account, bucket, name), then its counters. */
export const ROLLUP_COLUMNS = [
  'grain',
  'dim',
  'account',
  'bucket',
  'name',
  'requests',
  'errors',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cost',
] as const satisfies ReadonlyArray<keyof UsageRollupsTable>;
const COUNTERS = ['requests', 'errors', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'cached_tokens', 'cost'] as const;

/** Hour and day buckets (epoch ms). */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Most (bucket, name) pairs a read of some names probes one by one; above, it walks the range once. */
const MAX_PROBES = 10_000;

export interface RollupTotals {
  name: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost: number;
}

export interface RollupRange {
  grain: 'h' | 'd';
  dim: string;
  account: string;
  /** [from, to) in epoch ms. */
  from: number;
  to: number;
  /** Only these names (the listed ones, for their change and their series); all names when absent. */
  names?: readonly string[];
}

/** The ON CONFLICT clause: add the batch's counts to the stored ones. */
function upsert(db: Kysely<Database> | Transaction<Database>, rows: RollupDelta[]) {
  return db
    .insertInto('usage_rollups')
    .values(rows)
    .onConflict((conflict) =>
      conflict
        .columns(['grain', 'dim', 'account', 'bucket', 'name'])
        .doUpdateSet((update) =>
          Object.fromEntries(COUNTERS.map((column) => [column, update(`usage_rollups.${column}`, '+', update.ref(`excluded.${column}`))])),
        ),
    );
}

/** A stable order, so two gateways adding to the same rows take their locks in the same order (no deadlock). */
export function sortDeltas(deltas: RollupDelta[]): RollupDelta[] {
  return deltas.sort((left, right) =>
    left.grain !== right.grain
      ? left.grain < right.grain
        ? -1
        : 1
      : left.dim !== right.dim
        ? left.dim < right.dim
          ? -1
          : 1
        : left.account !== right.account
          ? left.account < right.account
            ? -1
            : 1
          : left.bucket !== right.bucket
            ? left.bucket - right.bucket
            : left.name < right.name
              ? -1
              : left.name > right.name
                ? 1
                : 0,
  );
}

export class RollupsRepo {
  private readonly prepared: PreparedInsert<RollupDelta> | undefined;
  /** PostgreSQL's upsert of a whole batch in one statement with one parameter. */
  private readonly json: JsonRowsInsert | undefined;
  /** SQLite's upsert inside a Kysely transaction: compiled once per batch size. */
  private readonly compiled: CompiledInsert<RollupDelta>;

  constructor(
    private readonly db: Kysely<Database>,
    sqlite?: BetterSqlite3.Database,
  ) {
    const compile = (rows: number) => upsert(db, placeholderRows<RollupDelta>(ROLLUP_COLUMNS, rows)).compile();
    this.compiled = new CompiledInsert<RollupDelta>(compile, ROLLUP_COLUMNS);
    if (sqlite) this.prepared = new PreparedInsert<RollupDelta>(sqlite, compile, ROLLUP_COLUMNS);
    else
      this.json = new JsonRowsInsert(
        'usage_rollups',
        ROLLUP_COLUMNS,
        `on conflict ("grain", "dim", "account", "bucket", "name") do update set ${COUNTERS.map((column) => `"${column}" = "usage_rollups"."${column}" + "excluded"."${column}"`).join(', ')}`,
      );
  }

  /**
   * PostgreSQL: the upsert of the deltas in parameter `$param` (from `jsonRows(sortDeltas(…))`), for
   * the record writer to run in the same statement as the records' insert.
   */
  upsertStatement(param: number): string | undefined {
    return this.json?.statement(param);
  }

  /** Adds deltas inside the caller's SQLite transaction (synchronous). */
  addSync(deltas: RollupDelta[]): void {
    this.prepared!.runAll(sortDeltas(deltas));
  }

  /** Adds deltas inside the caller's Kysely transaction. */
  async add(transaction: Transaction<Database>, deltas: RollupDelta[]): Promise<void> {
    const sorted = sortDeltas(deltas);
    if (sorted.length === 0) return;
    for (const statement of this.json ? [this.json.query(sorted)] : this.compiled.queries(sorted))
      await transaction.executeQuery(statement);
  }

  /** Sums per name over [from, to), of `range.names` only when given. */
  async totals(range: RollupRange): Promise<RollupTotals[]> {
    const select = this.select(range);
    if (!select) return [];
    const rows = await select.query
      .select((eb) => ['name', ...COUNTERS.map((column) => eb.fn.sum<number | string>(column).as(column))])
      .groupBy('name')
      .execute();
    return select.keep(rows).map((row) => numeric(row));
  }

  /** Sums per bucket and name over [from, to), of `range.names` only when given. */
  async series(range: RollupRange): Promise<Array<RollupTotals & { bucket: number }>> {
    const select = this.select(range);
    if (!select) return [];
    const rows = await select.query
      .select((eb) => ['bucket', 'name', ...COUNTERS.map((column) => eb.fn.sum<number | string>(column).as(column))])
      .groupBy(['bucket', 'name'])
      .execute();
    return select.keep(rows).map((row) => ({ ...numeric(row), bucket: Number(row.bucket) }));
  }

  /**
   * The rows of a range. For a few names, the index is probed at each (bucket, name) pair: the key
   * is (grain, dim, account, bucket, name), so a bucket range filtered by name would walk every
   * name's entries (and PostgreSQL before 17 walks the range once per name of an IN list). For many
   * pairs, one walk of the range, the names kept here. Undefined when nothing can match.
   */
  private select(range: RollupRange) {
    const names = range.names;
    if (names && names.length === 0) return undefined;
    const base = this.db
      .selectFrom('usage_rollups')
      .where('grain', '=', range.grain)
      .where('dim', '=', range.dim)
      .where('account', '=', range.account);
    const step = range.grain === 'h' ? HOUR_MS : DAY_MS;
    const buckets: number[] = [];
    if (names && (Math.ceil(range.to / step) - Math.ceil(range.from / step)) * names.length <= MAX_PROBES) {
      for (let bucket = Math.ceil(range.from / step) * step; bucket < range.to; bucket += step) buckets.push(bucket);
      if (buckets.length === 0) return undefined;
      return {
        query: base.where('bucket', 'in', buckets).where('name', 'in', names),
        keep: <Row>(rows: Row[]): Row[] => rows,
      };
    }
    const wanted = names ? new Set(names) : undefined;
    return {
      query: base.where('bucket', '>=', range.from).where('bucket', '<', range.to),
      keep: <Row extends { name: string }>(rows: Row[]): Row[] => (wanted ? rows.filter((row) => wanted.has(row.name)) : rows),
    };
  }

  /** Every rollup row (tests compare them with the generation records). */
  all(): Promise<RollupDelta[]> {
    return this.db
      .selectFrom('usage_rollups')
      .selectAll()
      .execute()
      .then((rows) => rows.map((row) => ({ ...row, ...numeric(row), bucket: Number(row.bucket) })));
  }
}

/** PostgreSQL returns bigint sums as strings. */
function numeric(row: Record<string, unknown>): RollupTotals {
  const out: Record<string, unknown> = { name: row.name };
  for (const column of COUNTERS) out[column] = Number(row[column] ?? 0);
  return out as unknown as RollupTotals;
}
