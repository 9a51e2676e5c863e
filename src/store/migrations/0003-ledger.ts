/**
 * Accounting: accounts (a credit pool; every key belongs to one), the append-only ledger
 * (top-ups, charges, refunds, adjustments; the balance is the sum of an account's entries),
 * per-key spend limits, and stored responses for Idempotency-Key retries. Amounts are integer
 * nanodollars. A unique idempotency key per ledger entry makes every posting safe to retry.
 */
import { sql, type Kysely, type Migration } from 'kysely';

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
    await sql`insert into accounts (id, name, mode, created_at) select 'acct_' || id, name, 'unlimited', created_at from api_keys`.execute(db);
    await sql`update api_keys set account_id = 'acct_' || id`.execute(db);

    await db.schema
      .createTable('ledger_entries')
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
      .addColumn('idempotency_key', 'text', (column) => column.notNull().unique())
      .addColumn('note', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('ledger_account_created').on('ledger_entries').columns(['account_id', 'created_at']).execute();
    await db.schema.createIndex('ledger_key_created').on('ledger_entries').columns(['key_id', 'created_at']).execute();

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
