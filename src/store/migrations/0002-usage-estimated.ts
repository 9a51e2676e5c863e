/** Marks generations whose token counts were estimated by the gateway (the upstream reported none, or the stream was cut). */
import type { Kysely, Migration } from 'kysely';

export const migration0002: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('generations')
      .addColumn('usage_estimated', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('generations').dropColumn('usage_estimated').execute();
  },
};
