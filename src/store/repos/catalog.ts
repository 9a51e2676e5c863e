/** The synced catalog's rows (see migration 0005). Written by `agora models sync`; read at start and when the version moves. */
import type { Kysely, Selectable } from 'kysely';
import type { CatalogEntriesTable, Database } from '../database.js';

export type CatalogEntryRow = Selectable<CatalogEntriesTable>;
export type CatalogEntryKey = Pick<CatalogEntryRow, 'source' | 'kind' | 'id'>;

export class CatalogRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** 0 before the first sync. */
  async version(): Promise<number> {
    const row = await this.db.selectFrom('catalog_state').select('version').where('id', '=', 1).executeTakeFirst();
    return row ? Number(row.version) : 0;
  }

  async all(): Promise<CatalogEntryRow[]> {
    const rows = await this.db.selectFrom('catalog_entries').selectAll().orderBy('source').orderBy('kind').orderBy('id').execute();
    return rows.map((row) => ({ ...row, updated_at: Number(row.updated_at) }));
  }

  async ofSource(source: string): Promise<CatalogEntryRow[]> {
    const rows = await this.db.selectFrom('catalog_entries').selectAll().where('source', '=', source).execute();
    return rows.map((row) => ({ ...row, updated_at: Number(row.updated_at) }));
  }

  /**
   * Writes one sync in one transaction: upserts, deletes, and a version step when anything changed.
   * Returns the version after it.
   */
  async apply(upserts: CatalogEntryRow[], deletes: CatalogEntryKey[], now = Date.now()): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < upserts.length; start += 200) {
        await trx
          .insertInto('catalog_entries')
          .values(upserts.slice(start, start + 200))
          .onConflict((conflict) =>
            conflict.columns(['source', 'kind', 'id']).doUpdateSet((update) => ({
              body: update.ref('excluded.body'),
              updated_at: update.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      for (const key of deletes) {
        await trx
          .deleteFrom('catalog_entries')
          .where('source', '=', key.source)
          .where('kind', '=', key.kind)
          .where('id', '=', key.id)
          .execute();
      }
      const current = await trx.selectFrom('catalog_state').select('version').where('id', '=', 1).executeTakeFirst();
      const version = Number(current?.version ?? 0) + (upserts.length + deletes.length > 0 ? 1 : 0);
      if (current) await trx.updateTable('catalog_state').set({ version, updated_at: now }).where('id', '=', 1).execute();
      else await trx.insertInto('catalog_state').values({ id: 1, version, updated_at: now }).execute();
      return version;
    });
  }
}
