/**
 * Usage rollups (migration 0007): upserts that add a batch's counts to the hour and day rows, and
 * the range reads rankings are answered from. All SQL here; what is counted and under which names is
 * decided by rankings/rollup.ts.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { Database, UsageRollupsTable } from '../database.js';
import { placeholderRows, PreparedInsert } from '../sqlite-batch.js';

export type RollupDelta = UsageRollupsTable;

const COLUMNS = [
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

/** Rows per upsert statement on PostgreSQL (12 parameters each). */
const ROWS_PER_STATEMENT = 500;

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

  constructor(
    private readonly db: Kysely<Database>,
    sqlite?: BetterSqlite3.Database,
  ) {
    if (sqlite)
      this.prepared = new PreparedInsert<RollupDelta>(
        sqlite,
        (rows) => upsert(db, placeholderRows<RollupDelta>(COLUMNS, rows)).compile(),
        COLUMNS,
      );
  }

  /** Adds deltas inside the caller's SQLite transaction (synchronous). */
  addSync(deltas: RollupDelta[]): void {
    this.prepared!.runAll(sortDeltas(deltas));
  }

  /** Adds deltas inside the caller's Kysely transaction. */
  async add(transaction: Transaction<Database>, deltas: RollupDelta[]): Promise<void> {
    const sorted = sortDeltas(deltas);
    for (let start = 0; start < sorted.length; start += ROWS_PER_STATEMENT) {
      await upsert(transaction, sorted.slice(start, start + ROWS_PER_STATEMENT)).execute();
    }
  }

  /** Sums per name over [from, to). */
  async totals(range: RollupRange): Promise<RollupTotals[]> {
    const rows = await this.db
      .selectFrom('usage_rollups')
      .select((eb) => ['name', ...COUNTERS.map((column) => eb.fn.sum<number | string>(column).as(column))])
      .where('grain', '=', range.grain)
      .where('dim', '=', range.dim)
      .where('account', '=', range.account)
      .where('bucket', '>=', range.from)
      .where('bucket', '<', range.to)
      .groupBy('name')
      .execute();
    return rows.map((row) => numeric(row));
  }

  /** Sums per bucket and name over [from, to). */
  async series(range: RollupRange): Promise<Array<RollupTotals & { bucket: number }>> {
    const rows = await this.db
      .selectFrom('usage_rollups')
      .select((eb) => ['bucket', 'name', ...COUNTERS.map((column) => eb.fn.sum<number | string>(column).as(column))])
      .where('grain', '=', range.grain)
      .where('dim', '=', range.dim)
      .where('account', '=', range.account)
      .where('bucket', '>=', range.from)
      .where('bucket', '<', range.to)
      .groupBy(['bucket', 'name'])
      .execute();
    return rows.map((row) => ({ ...numeric(row), bucket: Number(row.bucket) }));
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
