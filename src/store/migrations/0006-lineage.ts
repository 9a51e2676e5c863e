/**
 * The model lineage graph (`agora lineage import`): Hugging Face models as nodes, base → derivative
 * edges (finetune, adapter, quantized, merge). A node's key is its Hub id in lower case (the Hub
 * treats ids case-insensitively); `id` keeps the Hub's spelling. A node named only as someone's
 * base or child, with no facts of its own, is stored with `known = 0`. `lineage_state.version`
 * grows with every import that changed a row, so a running gateway notices an import made by
 * another process with one cheap read and reloads its graph.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0006: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('lineage_nodes')
      /** The Hub id in lower case. */
      .addColumn('key', 'text', (column) => column.primaryKey())
      /** The Hub id as the Hub spells it (`deepseek-ai/DeepSeek-R1`). */
      .addColumn('id', 'text', (column) => column.notNull())
      .addColumn('author', 'text')
      .addColumn('downloads', 'bigint')
      .addColumn('likes', 'bigint')
      /** Epoch ms. */
      .addColumn('created_at', 'bigint')
      .addColumn('last_modified', 'bigint')
      .addColumn('pipeline_tag', 'text')
      .addColumn('library', 'text')
      .addColumn('license', 'text')
      /** `false`, `auto` or `manual` (the Hub's values), null when unknown. */
      .addColumn('gated', 'text')
      /** safetensors.total. */
      .addColumn('parameters', 'bigint')
      /** 1 when the node's facts come from its own model info; 0 for an id only. */
      .addColumn('known', 'integer', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('lineage_edges')
      /** Node keys (lower-case Hub ids). */
      .addColumn('child', 'text', (column) => column.notNull())
      .addColumn('parent', 'text', (column) => column.notNull())
      /** finetune | adapter | quantized | merge */
      .addColumn('relation', 'text', (column) => column.notNull())
      /** Where the edge was read, a bit set: 1 the child's base_model tags, 2 the parent's model-tree list, 4 the child's card. */
      .addColumn('evidence', 'integer', (column) => column.notNull())
      .addPrimaryKeyConstraint('lineage_edges_pk', ['child', 'parent', 'relation'])
      .execute();
    // The graph is read whole into memory; no index beyond the keys (each is another page per import batch).
    await db.schema
      .createTable('lineage_state')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('version', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('lineage_state').execute();
    await db.schema.dropTable('lineage_edges').execute();
    await db.schema.dropTable('lineage_nodes').execute();
  },
};
