/**
 * The synced catalog: what `agora models sync` imported (OpenRouter's model list, LiteLLM's price
 * map, Hugging Face model facts), one row per entry and source, merged over the bundled catalog and
 * under the config file. `catalog_state.version` grows with every sync that changed a row, so a
 * running gateway notices a sync with one cheap read and rebuilds its snapshot without a restart.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0005: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('catalog_entries')
      /** `openrouter`, `litellm` or `hf`. */
      .addColumn('source', 'text', (column) => column.notNull())
      /** `author`, `provider`, `model` (facts) or `endpoint` (one model at one provider). */
      .addColumn('kind', 'text', (column) => column.notNull())
      /** The author, provider or model id; `model-id@provider-id` for an endpoint. */
      .addColumn('id', 'text', (column) => column.notNull())
      /** The entry in the config file's shape (JSON); a model's facts without its endpoints. */
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('catalog_entries_pk', ['source', 'kind', 'id'])
      .execute();
    await db.schema
      .createTable('catalog_state')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('version', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('catalog_state').execute();
    await db.schema.dropTable('catalog_entries').execute();
  },
};
