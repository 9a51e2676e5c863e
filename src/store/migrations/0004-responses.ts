/**
 * Stored responses of OpenAI's Responses API (`store: true`, the default): what `GET
 * /v1/responses/{id}` returns and what `previous_response_id` continues from. Each belongs to one
 * account (or, for a key without one, to that key) and is seen by no other.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0004: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('stored_responses')
      .addColumn('id', 'text', (column) => column.primaryKey())
      /** `acct_…`, or `key:<id>` for a key without an account (the master key). */
      .addColumn('owner', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('previous_response_id', 'text')
      /** The conversation so far as Responses input items (JSON): the previous ones, then this request's input. */
      .addColumn('input_items', 'text', (column) => column.notNull())
      /** The Response object as answered (JSON), its output items included. */
      .addColumn('response', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema.createIndex('stored_responses_owner').on('stored_responses').columns(['owner', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('stored_responses').execute();
  },
};
