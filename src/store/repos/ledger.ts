/**
 * The append-only ledger. Entries are only ever inserted; the balance of an account is the sum of
 * its entries. Every entry carries a unique idempotency key, so a batch retried after a failure,
 * or a top-up sent twice, is written once.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Insertable, type Kysely, type Selectable } from '../kysely.js';
import type { Database, IdempotencyRecordsTable, LedgerEntriesTable } from '../database.js';
import { JsonRowsInsert } from '../pg-batch.js';
import { CompiledInsert, inTransaction, placeholderRows, PreparedInsert } from '../sqlite-batch.js';

export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
export type NewLedgerEntry = Insertable<LedgerEntriesTable>;

/** One group-committed write: a ledger entry, the stored response of an idempotent request, or both (atomically). */
export interface LedgerWrite {
  entry?: NewLedgerEntry;
  idempotency?: IdempotencyRecordsTable;
}

export interface KeySpend {
  key_id: string;
  total: number;
  /** Since `dayStart`. */
  day: number;
  /** Since `monthStart`. */
  month: number;
}

const ENTRY_COLUMNS = [
  'id',
  'account_id',
  'key_id',
  'kind',
  'amount',
  'generation_id',
  'upstream_id',
  'model',
  'provider',
  'note',
  'created_at',
] as const satisfies ReadonlyArray<keyof LedgerEntriesTable>;
const STORED_COLUMNS = [
  'key_id',
  'idempotency_key',
  'request_hash',
  'status',
  'headers',
  'body',
  'created_at',
] as const satisfies ReadonlyArray<keyof IdempotencyRecordsTable>;

/** Group commits the ledger writer may have in flight at once on PostgreSQL (each on its own pooled connection). */
const BATCHES_IN_FLIGHT = 3;

/**
 * Whether a write must commit in queue order: an idempotency record is an upsert (the last write
 * wins), so two batches holding records must not race.
 */
function mustCommitInOrder(write: LedgerWrite): boolean {
  return write.idempotency !== undefined;
}

/** Stores idempotent answers; a second answer under the same key replaces the first. */
function upsertStored(db: Kysely<Database>, rows: IdempotencyRecordsTable[]) {
  return db
    .insertInto('idempotency_records')
    .values(rows)
    .onConflict((conflict) =>
      conflict.columns(['key_id', 'idempotency_key']).doUpdateSet((eb) => ({
        request_hash: eb.ref('excluded.request_hash'),
        status: eb.ref('excluded.status'),
        headers: eb.ref('excluded.headers'),
        body: eb.ref('excluded.body'),
        created_at: eb.ref('excluded.created_at'),
      })),
    );
}

export class LedgerRepo {
  private readonly preparedEntry: PreparedInsert<NewLedgerEntry> | undefined;
  private readonly preparedStored: PreparedInsert<IdempotencyRecordsTable> | undefined;
  /** PostgreSQL's insert of a whole batch in one statement with one parameter. */
  private readonly jsonEntries: JsonRowsInsert | undefined;
  /** SQLite's insert inside another Kysely transaction: compiled once per batch size. */
  private readonly compiledEntry: CompiledInsert<NewLedgerEntry>;
  /**
   * How the group-commit writer (metering/sink.ts, its `maxInFlight` and `ordered` options) may
   * overlap batches of `insertMany`. On PostgreSQL a batch costs a round trip, and several may be in
   * flight: batches of entries may commit in any order, because an entry is only ever inserted, its
   * id is its idempotency key (`charge:<generation>` …) with ON CONFLICT (id) DO NOTHING, a balance
   * is a sum, and a row is in one batch at a time (requeued only once its write failed), so
   * concurrent batches insert distinct keys and neither waits on the other's locks. Idempotency
   * records are upserts whose last write wins: batches holding one stay one at a time, in queue
   * order (a retried one first). On SQLite the write is synchronous in-process: nothing to overlap.
   */
  readonly writeConcurrency: { maxInFlight: number; ordered: (write: LedgerWrite) => boolean };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    this.writeConcurrency = { maxInFlight: sqlite ? 1 : BATCHES_IN_FLIGHT, ordered: mustCommitInOrder };
    const compileEntries = (rows: number) =>
      db
        .insertInto('ledger_entries')
        .values(placeholderRows<NewLedgerEntry>(ENTRY_COLUMNS, rows))
        .onConflict((conflict) => conflict.column('id').doNothing())
        .compile();
    this.compiledEntry = new CompiledInsert<NewLedgerEntry>(compileEntries, ENTRY_COLUMNS);
    if (!sqlite) {
      this.jsonEntries = new JsonRowsInsert('ledger_entries', ENTRY_COLUMNS, 'on conflict ("id") do nothing');
      return;
    }
    this.preparedEntry = new PreparedInsert<NewLedgerEntry>(sqlite, compileEntries, ENTRY_COLUMNS);
    this.preparedStored = new PreparedInsert<IdempotencyRecordsTable>(
      sqlite,
      (rows) => upsertStored(db, placeholderRows<IdempotencyRecordsTable>(STORED_COLUMNS, rows)).compile(),
      STORED_COLUMNS,
    );
  }

  /** Writes a batch in one transaction; entries whose idempotency key exists are skipped. */
  async insertMany(writes: LedgerWrite[]): Promise<void> {
    const entries = writes.flatMap((write) => (write.entry ? [write.entry] : []));
    const stored = writes.flatMap((write) => (write.idempotency ? [write.idempotency] : []));
    if (entries.length === 0 && stored.length === 0) return;
    const { preparedEntry, preparedStored } = this;
    if (
      preparedEntry &&
      preparedStored &&
      this.sqlite &&
      inTransaction(this.sqlite, () => {
        preparedEntry.runAll(entries);
        for (const record of stored) preparedStored.runAll([record]); // an upsert: one key may appear twice in a batch
      })
    )
      return;
    const inserts = this.jsonEntries ? (entries.length > 0 ? [this.jsonEntries.query(entries)] : []) : this.compiledEntry.queries(entries);
    if (stored.length === 0 && inserts.length === 1) {
      // The common group commit: one multi-row INSERT, atomic on its own, in one round trip (a
      // transaction around it would add BEGIN and COMMIT: three round trips per commit on PostgreSQL).
      await this.db.executeQuery(inserts[0]!);
      return;
    }
    await this.db.transaction().execute(async (transaction) => {
      for (const insert of inserts) await transaction.executeQuery(insert);
      for (const record of stored) await upsertStored(transaction, [record]).execute();
    });
  }

  findIdempotency(keyId: string, idempotencyKey: string): Promise<IdempotencyRecordsTable | undefined> {
    return this.db
      .selectFrom('idempotency_records')
      .selectAll()
      .where('key_id', '=', keyId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  /** Removes stored responses created before `before` (epoch ms). */
  async pruneIdempotency(before: number): Promise<void> {
    await this.db.deleteFrom('idempotency_records').where('created_at', '<', before).execute();
  }

  /** Inserts one entry; false when its idempotency key was already used (nothing written). */
  async insertOne(entry: NewLedgerEntry): Promise<boolean> {
    const result = await this.db
      .insertInto('ledger_entries')
      .values(entry)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async balance(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('ledger_entries')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('amount'), eb.val(0)).as('balance'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return Number(row.balance);
  }

  /** Balance of every account (sum of its entries). */
  async balances(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('ledger_entries')
      .select(['account_id', (eb) => eb.fn.sum<string | number>('amount').as('balance')])
      .groupBy('account_id')
      .execute();
    return new Map(rows.map((row) => [row.account_id, Number(row.balance)]));
  }

  /** Spend (positive nanodollars) per key: in total, since `dayStart` and since `monthStart`. */
  async keySpend(dayStart: number, monthStart: number): Promise<KeySpend[]> {
    const rows = await this.db
      .selectFrom('ledger_entries')
      .select([
        'key_id',
        sql<string | number>`sum(-amount)`.as('total'),
        sql<string | number>`sum(case when created_at >= ${dayStart} then -amount else 0 end)`.as('day'),
        sql<string | number>`sum(case when created_at >= ${monthStart} then -amount else 0 end)`.as('month'),
      ])
      .where('kind', 'in', ['charge', 'refund'])
      .where('key_id', 'is not', null)
      .groupBy('key_id')
      .execute();
    return rows.map((row) => ({ key_id: row.key_id!, total: Number(row.total), day: Number(row.day), month: Number(row.month) }));
  }

  /** Top-ups and usage of one account, for GET /api/v1/credits. */
  async totals(accountId: string): Promise<{ credits: number; usage: number }> {
    const row = await this.db
      .selectFrom('ledger_entries')
      .select([
        sql<string | number>`coalesce(sum(case when amount > 0 then amount else 0 end), 0)`.as('credits'),
        sql<string | number>`coalesce(sum(case when amount < 0 then -amount else 0 end), 0)`.as('usage'),
      ])
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return { credits: Number(row.credits), usage: Number(row.usage) };
  }

  entries(accountId: string): Promise<LedgerEntryRow[]> {
    return this.db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  chargesForGeneration(generationId: string): Promise<LedgerEntryRow[]> {
    return this.db.selectFrom('ledger_entries').selectAll().where('generation_id', '=', generationId).execute();
  }

  /** Cheap liveness probe for fail-closed credits. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}
