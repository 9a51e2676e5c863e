/**
 * Governance: policies written through the admin API (the config file's live in the file), the
 * audit log of policy decisions, and a key's own client region.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0008: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('api_keys').addColumn('region', 'text').execute();
    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (column) => column.primaryKey())
      /** The policy as the config file writes it (JSON), validated by the same schema. */
      .addColumn('body', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('policy_state')
      .addColumn('id', 'integer', (column) => column.primaryKey())
      .addColumn('version', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createTable('policy_audit')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('key_id', 'text')
      .addColumn('account_id', 'text')
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('region', 'text', (column) => column.notNull())
      /** header | geoip | key | unknown | query (a dry run) */
      .addColumn('region_source', 'text', (column) => column.notNull())
      /** allowed | refused */
      .addColumn('outcome', 'text', (column) => column.notNull())
      /** The rule that refused (the first one, for a refusal; the first endpoint refused, for an allowed request that lost some). */
      .addColumn('rule', 'text')
      .addColumn('policy', 'text')
      .addColumn('scope', 'text')
      /** The policies in force for the request, comma-separated. */
      .addColumn('applied', 'text', (column) => column.notNull())
      /** Endpoints the policies removed. */
      .addColumn('refused_endpoints', 'integer', (column) => column.notNull())
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('policy_audit_created').on('policy_audit').column('created_at').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('policy_audit').execute();
    await db.schema.dropTable('policy_state').execute();
    await db.schema.dropTable('policies').execute();
  },
};
