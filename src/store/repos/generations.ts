/** Generation records (one per request). Written in batches by metering/sink.ts. */
import type BetterSqlite3 from 'better-sqlite3';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, GenerationsTable } from '../database.js';
import { inTransaction, placeholderRows, PreparedInsert } from '../sqlite-batch.js';

export type GenerationRow = Selectable<GenerationsTable>;
export type NewGeneration = Insertable<GenerationsTable>;

/** Rows per INSERT statement: 24 columns × 200 rows stays under every driver's parameter limit. */
const ROWS_PER_STATEMENT = 200;

const COLUMNS = [
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
] as const satisfies ReadonlyArray<keyof GenerationsTable>;

export class GenerationsRepo {
  private readonly prepared: PreparedInsert<NewGeneration> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    if (sqlite) {
      this.prepared = new PreparedInsert<NewGeneration>(
        sqlite,
        (rows) =>
          db
            .insertInto('generations')
            .values(placeholderRows<NewGeneration>(COLUMNS, rows))
            .onConflict((conflict) => conflict.column('id').doNothing())
            .compile(),
        COLUMNS,
      );
    }
  }

  /** Inserts a batch in one transaction; ids already present are skipped (a retried batch is harmless). */
  async insertMany(rows: NewGeneration[]): Promise<void> {
    if (rows.length === 0) return;
    const prepared = this.prepared;
    if (prepared && this.sqlite && inTransaction(this.sqlite, () => prepared.runAll(rows))) return;
    await this.db.transaction().execute(async (transaction) => {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        await transaction
          .insertInto('generations')
          .values(rows.slice(start, start + ROWS_PER_STATEMENT))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .execute();
      }
    });
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
