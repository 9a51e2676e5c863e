/** Initial schema: keys and generation records. Portable DDL only (runs on SQLite and PostgreSQL). */
import type { Kysely, Migration } from 'kysely';

export const migration0001: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('name', 'text', (column) => column.notNull())
      .addColumn('key_hash', 'text', (column) => column.notNull().unique())
      .addColumn('key_hint', 'text', (column) => column.notNull())
      .addColumn('is_admin', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('disabled_at', 'bigint')
      .addColumn('credit_limit', 'bigint')
      .addColumn('rpm', 'integer')
      .addColumn('tpm', 'integer')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();

    await db.schema
      .createTable('generations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('key_id', 'text')
      .addColumn('api', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('provider', 'text')
      .addColumn('upstream_model', 'text')
      .addColumn('upstream_id', 'text')
      .addColumn('streamed', 'integer', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('http_status', 'integer', (column) => column.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('finish_reason', 'text')
      .addColumn('prompt_tokens', 'integer')
      .addColumn('completion_tokens', 'integer')
      .addColumn('total_tokens', 'integer')
      .addColumn('cached_tokens', 'integer')
      .addColumn('reasoning_tokens', 'integer')
      .addColumn('latency_ms', 'integer', (column) => column.notNull())
      .addColumn('ttft_ms', 'integer')
      .addColumn('app_referer', 'text')
      .addColumn('app_title', 'text')
      .addColumn('attempts', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('generations_key_created').on('generations').columns(['key_id', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('generations').execute();
    await db.schema.dropTable('api_keys').execute();
  },
};
