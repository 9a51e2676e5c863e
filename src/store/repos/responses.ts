/** Stored Responses (OpenAI's Responses API). Written in batches by a BatchWriter; read by id and owner. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, StoredResponsesTable } from '../database.js';

export type StoredResponseRow = Selectable<StoredResponsesTable>;
export type NewStoredResponse = Insertable<StoredResponsesTable>;

export class ResponsesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insertMany(rows: NewStoredResponse[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('stored_responses')
      .values(rows)
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
  }

  /** The response `id` if `owner` owns it (another owner's id answers nothing, like an unknown one). */
  findOwned(id: string, owner: string): Promise<StoredResponseRow | undefined> {
    return this.db.selectFrom('stored_responses').selectAll().where('id', '=', id).where('owner', '=', owner).executeTakeFirst();
  }

  /** Deletes `owner`'s response `id`; false when there was none. */
  async deleteOwned(id: string, owner: string): Promise<boolean> {
    const result = await this.db.deleteFrom('stored_responses').where('id', '=', id).where('owner', '=', owner).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
