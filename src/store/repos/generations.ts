/** Generation records (one per request). Written in batches by metering/sink.ts. */
import type BetterSqlite3 from 'better-sqlite3';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, GenerationsTable } from '../database.js';
import { isUniqueViolation, JsonRowsInsert, jsonRows, preparedQuery } from '../pg-batch.js';
import { CompiledInsert, inTransaction, placeholderRows, PreparedInsert } from '../sqlite-batch.js';
import { sortDeltas, type RollupDelta, type RollupsRepo } from './rollups.js';

/**
 * What a batch adds to the rollups, computed from the records given. It may be called more than once
 * for one batch (on PostgreSQL the whole batch is first tried as new, in one statement); what is
 * added is only ever what it returned for exactly the records that batch inserted.
 */
export type RollupOf = (inserted: NewGeneration[]) => RollupDelta[];

export type GenerationRow = Selectable<GenerationsTable>;
export type NewGeneration = Insertable<GenerationsTable>;

/** Every column a record is written with, in the order the prepared inserts take them (the benchmarks' bulk loader too). */
export const GENERATION_COLUMNS = [
  'id',
  'key_id',
  'api',
  'model',
  'provider',
  'upstream_model',
  'upstream_id',
  'streamed',
  'status',
  'http_status',
  'error_code',
  'error_message',
  'finish_reason',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'cache_write_tokens',
  'usage_estimated',
  'cost',
  'latency_ms',
  'ttft_ms',
  'app_referer',
  'app_title',
  'attempts',
  'created_at',
  'account_id',
] as const satisfies ReadonlyArray<keyof GenerationsTable>;

export class GenerationsRepo {
  private readonly prepared: PreparedInsert<NewGeneration> | undefined;
  /** PostgreSQL's insert of a whole batch in one statement with one parameter. */
  private readonly json: JsonRowsInsert | undefined;
  /** PostgreSQL: the insert that fails on any id already stored (the one-statement attempt). */
  private readonly jsonNew: JsonRowsInsert | undefined;
  /** SQLite's insert inside another Kysely transaction: compiled once per batch size. */
  private readonly compiled: CompiledInsert<NewGeneration>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly rollups: RollupsRepo,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    const compile = (rows: number) =>
      db
        .insertInto('generations')
        .values(placeholderRows<NewGeneration>(GENERATION_COLUMNS, rows))
        .onConflict((conflict) => conflict.column('id').doNothing())
        .returning('id')
        .compile();
    this.compiled = new CompiledInsert<NewGeneration>(compile, GENERATION_COLUMNS);
    if (sqlite) this.prepared = new PreparedInsert<NewGeneration>(sqlite, compile, GENERATION_COLUMNS);
    else {
      this.json = new JsonRowsInsert('generations', GENERATION_COLUMNS, 'on conflict ("id") do nothing returning "id"');
      this.jsonNew = new JsonRowsInsert('generations', GENERATION_COLUMNS, 'returning "id"');
    }
  }

  /**
   * Inserts a batch in one transaction; ids already present are skipped (a retried batch is
   * harmless). With `rollup`, the rollups of exactly the rows this transaction inserted are added in
   * the same transaction: a record and its counts are committed together or not at all.
   */
  async insertMany(rows: NewGeneration[], rollup?: RollupOf): Promise<void> {
    if (rows.length === 0) return;
    const prepared = this.prepared;
    if (
      prepared &&
      this.sqlite &&
      inTransaction(this.sqlite, () => {
        const inserted = prepared.runAllReturning<{ id: string }>(rows);
        if (rollup) this.rollups.addSync(rollup(pick(rows, inserted)));
      })
    )
      return;
    if (this.jsonNew && (await this.insertAllNew(this.jsonNew, rows, rollup))) return;
    await this.db.transaction().execute(async (transaction) => {
      const inserted: Array<{ id: string }> = [];
      for (const insert of this.json ? [this.json.query<{ id: string }>(rows)] : this.compiled.queries<{ id: string }>(rows)) {
        inserted.push(...(await transaction.executeQuery(insert)).rows);
      }
      if (rollup) await this.rollups.add(transaction, rollup(pick(rows, inserted)));
    });
  }

  /**
   * PostgreSQL, the common case: the batch and its rollups in one statement (one round trip instead
   * of BEGIN, insert, upsert, COMMIT), which fails as a whole when any record is already stored (a
   * retried batch); false then, and the transaction above inserts what is new and adds only its counts.
   */
  private async insertAllNew(insert: JsonRowsInsert, rows: NewGeneration[], rollup: RollupOf | undefined): Promise<boolean> {
    const deltas = rollup ? sortDeltas(rollup(rows)) : [];
    const upsert = deltas.length > 0 ? this.rollups.upsertStatement(2) : undefined;
    if (deltas.length > 0 && upsert === undefined) return false;
    const query = upsert
      ? preparedQuery(`with "inserted" as (${insert.statement(1)}), "added" as (${upsert}) select count(*) from "inserted"`, [
          jsonRows(rows),
          jsonRows(deltas),
        ])
      : preparedQuery(insert.statement(1), [jsonRows(rows)]);
    try {
      await this.db.executeQuery(query);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Deletes records created before `before` (epoch ms), at most `limit` of them; returns how many. Rollups are kept. */
  async pruneBefore(before: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('generations')
      .where('id', 'in', (eb) => eb.selectFrom('generations').select('id').where('created_at', '<', before).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  findById(id: string): Promise<GenerationRow | undefined> {
    return this.db.selectFrom('generations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Generations in [from, to), oldest first, optionally of one key. */
  list(query: { keyId: string | undefined; from: number; to: number; limit: number }): Promise<GenerationRow[]> {
    let select = this.db.selectFrom('generations').selectAll().where('created_at', '>=', query.from).where('created_at', '<', query.to);
    if (query.keyId !== undefined) select = select.where('key_id', '=', query.keyId);
    return select.orderBy('created_at').orderBy('id').limit(query.limit).execute();
  }

  count(): Promise<number> {
    return this.db
      .selectFrom('generations')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.count));
  }
}

/** The rows whose ids were inserted (all of them, in the usual case). */
function pick(rows: NewGeneration[], inserted: ReadonlyArray<{ id: string }>): NewGeneration[] {
  if (inserted.length === rows.length) return rows;
  const ids = new Set(inserted.map((row) => row.id));
  return rows.filter((row) => ids.has(row.id));
}
