/**
 * Accounting: accounts (a credit pool; every key belongs to one), the append-only ledger
 * (top-ups, charges, refunds, adjustments; the balance is the sum of an account's entries),
 * per-key spend limits, and stored responses for Idempotency-Key retries. Amounts are integer
 * nanodollars. Each entry's id is its idempotency key, so every posting is safe to retry.
 */
import { sql, type Kysely, type Migration } from '../kysely.js';

export const migration0003: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull())
      /** prepaid: requests need credit (402 otherwise); unlimited: usage is recorded, never refused. */
      .addColumn('mode', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.alterTable('api_keys').addColumn('account_id', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('limit_daily', 'bigint').execute();
    await db.schema.alterTable('api_keys').addColumn('limit_monthly', 'bigint').execute();
    // Keys from before accounts existed each get an unlimited account of their own.
    await sql`insert into accounts (id, name, mode, created_at) select 'acct_' || id, name, 'unlimited', created_at from api_keys`.execute(
      db,
    );
    await sql`update api_keys set account_id = 'acct_' || id`.execute(db);

    await db.schema
      .createTable('ledger_entries')
      /** The entry's idempotency key (`charge:<generation>`, `topup:<key>`, `opening:<key>`): a retried posting is written once. */
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('key_id', 'text')
      .addColumn('kind', 'text', (column) => column.notNull())
      /** Signed nanodollars: top-ups positive, charges negative. */
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('generation_id', 'text')
      /** The upstream's own response id, to reconcile against the provider's bill. */
      .addColumn('upstream_id', 'text')
      .addColumn('model', 'text')
      .addColumn('provider', 'text')
      .addColumn('note', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    // Few indexes on purpose: every one is another page written by each small group commit.
    await db.schema.createIndex('ledger_account').on('ledger_entries').column('account_id').execute();

    await db.schema.alterTable('generations').addColumn('cost', 'bigint').execute();
    await db.schema.alterTable('generations').addColumn('cache_write_tokens', 'integer').execute();

    await db.schema
      .createTable('idempotency_records')
      .addColumn('key_id', 'text', (column) => column.notNull())
      .addColumn('idempotency_key', 'text', (column) => column.notNull())
      .addColumn('request_hash', 'text', (column) => column.notNull())
      .addColumn('status', 'integer', (column) => column.notNull())
      .addColumn('headers', 'text', (column) => column.notNull())
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('idempotency_records_pk', ['key_id', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('idempotency_created').on('idempotency_records').column('created_at').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('idempotency_records').execute();
    await db.schema.dropTable('ledger_entries').execute();
    await db.schema.dropTable('accounts').execute();
  },
};
