/** API keys. All key SQL lives here. */
import type { Kysely, Selectable } from 'kysely';
import { generateApiKey, hashApiKey, keyHint } from '../../lib/api-key.js';
import { randomBase62 } from '../../lib/ids.js';
import type { ApiKeysTable, Database } from '../database.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface NewKey {
  name: string;
  isAdmin?: boolean;
  creditLimit?: number | null;
  rpm?: number | null;
  tpm?: number | null;
}

export class KeysRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a key; the plaintext is returned once and never stored. */
  async create(input: NewKey): Promise<{ row: ApiKeyRow; key: string }> {
    const key = generateApiKey();
    const now = Date.now();
    const row: ApiKeyRow = {
      id: `key_${randomBase62(16)}`,
      name: input.name,
      key_hash: hashApiKey(key),
      key_hint: keyHint(key),
      is_admin: input.isAdmin ? 1 : 0,
      disabled_at: null,
      credit_limit: input.creditLimit ?? null,
      rpm: input.rpm ?? null,
      tpm: input.tpm ?? null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { row, key };
  }

  list(): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  findByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
  }

  findById(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Disables a key; returns false when no such key exists. */
  async disable(id: string): Promise<boolean> {
    const now = Date.now();
    const result = await this.db
      .updateTable('api_keys')
      .set({ disabled_at: now, updated_at: now })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) return true;
    return (await this.findById(id)) !== undefined;
  }

  async countActiveAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('is_admin', '=', 1)
      .where('disabled_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
