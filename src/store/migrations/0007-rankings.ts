/**
 * Rankings: usage rolled up per hour and per day, by dimension (model, author, country, provider,
 * app, key, account), for each account and for the whole gateway (account `*`). Written in the same
 * transaction as the generation records they count, and only for records that transaction inserted,
 * so a rollup never loses or doubles a request — across a kill -9, a retried batch, or two gateways
 * on one database. Generations gain the account they were charged to.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0007: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('generations').addColumn('account_id', 'text').execute();
    await db.schema
      .createTable('usage_rollups')
      /** `h` (hour) or `d` (UTC day). */
      .addColumn('grain', 'text', (column) => column.notNull())
      /** model | author | country | provider | app | key | account */
      .addColumn('dim', 'text', (column) => column.notNull())
      /** `*` for the whole gateway, else the account (`acct_…`, or `key:<id>` for a key without one). */
      .addColumn('account', 'text', (column) => column.notNull())
      /** Start of the hour or day, epoch ms (UTC). */
      .addColumn('bucket', 'bigint', (column) => column.notNull())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('requests', 'bigint', (column) => column.notNull())
      .addColumn('errors', 'bigint', (column) => column.notNull())
      .addColumn('prompt_tokens', 'bigint', (column) => column.notNull())
      .addColumn('completion_tokens', 'bigint', (column) => column.notNull())
      .addColumn('reasoning_tokens', 'bigint', (column) => column.notNull())
      .addColumn('cached_tokens', 'bigint', (column) => column.notNull())
      /** Nanodollars. */
      .addColumn('cost', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('usage_rollups_pk', ['grain', 'dim', 'account', 'bucket', 'name'])
      .execute();
    // Retention prunes generations by age.
    await db.schema.createIndex('generations_created_at').ifNotExists().on('generations').column('created_at').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('usage_rollups').execute();
  },
};
