/**
 * Benchmarks (part 11): evaluation runs and their items (one row per item and repeat, written as
 * each answer is scored, so a resumed run never asks a stored item again), speed probes per
 * endpoint, and host verifications (the latest per endpoint decides `provider: {verified: true}`).
 */
import type { Kysely, Migration } from 'kysely';

export const migration0009: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('eval_runs')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('suite', 'text', (column) => column.notNull())
      /** The file or URL the items were read from. */
      .addColumn('source', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      /** The provider the run was pinned to, or null when routing chose. */
      .addColumn('provider', 'text')
      /** running | done */
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('temperature', 'real', (column) => column.notNull())
      .addColumn('seed', 'integer')
      .addColumn('repeats', 'integer', (column) => column.notNull())
      .addColumn('item_limit', 'integer')
      .addColumn('items_total', 'integer', (column) => column.notNull())
      .addColumn('template', 'text', (column) => column.notNull())
      /** What the run is for: bench (a leaderboard run) or verify:<verification id>. */
      .addColumn('purpose', 'text', (column) => column.notNull())
      .addColumn('wall_ms', 'bigint', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('eval_runs_model').on('eval_runs').columns(['model', 'suite', 'created_at']).execute();
    await db.schema
      .createTable('eval_items')
      .addColumn('run_id', 'text', (column) => column.notNull())
      .addColumn('item_id', 'text', (column) => column.notNull())
      .addColumn('repeat', 'integer', (column) => column.notNull())
      .addColumn('prompt', 'text', (column) => column.notNull())
      .addColumn('answer', 'text', (column) => column.notNull())
      .addColumn('extracted', 'text')
      .addColumn('correct', 'integer', (column) => column.notNull())
      .addColumn('detail', 'text')
      /** The call failed (after the gateway's own fallbacks): counted wrong, with the error. */
      .addColumn('error', 'text')
      .addColumn('prompt_tokens', 'integer', (column) => column.notNull())
      .addColumn('completion_tokens', 'integer', (column) => column.notNull())
      .addColumn('cost_usd', 'real', (column) => column.notNull())
      .addColumn('latency_ms', 'real', (column) => column.notNull())
      .addColumn('provider', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('eval_items_pk', ['run_id', 'item_id', 'repeat'])
      .execute();
    await db.schema
      .createTable('endpoint_probes')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('provider', 'text', (column) => column.notNull())
      /** About 100 or 1,000 input tokens. */
      .addColumn('input_tokens', 'integer', (column) => column.notNull())
      .addColumn('output_tokens', 'integer', (column) => column.notNull())
      .addColumn('ttft_ms', 'real', (column) => column.notNull())
      /** Output tokens per second after the first token. */
      .addColumn('output_tps', 'real', (column) => column.notNull())
      .addColumn('e2e_ms', 'real', (column) => column.notNull())
      .addColumn('error', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('endpoint_probes_endpoint').on('endpoint_probes').columns(['model', 'provider', 'created_at']).execute();
    await db.schema
      .createTable('verifications')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('provider', 'text', (column) => column.notNull())
      .addColumn('reference', 'text', (column) => column.notNull())
      .addColumn('suite', 'text', (column) => column.notNull())
      .addColumn('run_id', 'text', (column) => column.notNull())
      .addColumn('reference_run_id', 'text', (column) => column.notNull())
      .addColumn('correct', 'integer', (column) => column.notNull())
      .addColumn('n', 'integer', (column) => column.notNull())
      .addColumn('reference_correct', 'integer', (column) => column.notNull())
      .addColumn('reference_n', 'integer', (column) => column.notNull())
      /** Share of items whose extracted answer equals the reference endpoint's. */
      .addColumn('agreement', 'real', (column) => column.notNull())
      /** Tool calls: F1 of "called a tool" against the reference, and the share of calls whose arguments are valid for the schema. */
      .addColumn('tool_f1', 'real')
      .addColumn('schema_accuracy', 'real')
      /** passed | flagged */
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('reason', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('verifications_endpoint').on('verifications').columns(['model', 'provider', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('verifications').execute();
    await db.schema.dropTable('endpoint_probes').execute();
    await db.schema.dropTable('eval_items').execute();
    await db.schema.dropTable('eval_runs').execute();
  },
};
