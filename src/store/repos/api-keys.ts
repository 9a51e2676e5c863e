/** API keys and the accounts they belong to. All key SQL lives here. */
import type { Kysely, Selectable, Updateable } from 'kysely';
import { generateApiKey, hashApiKey, keyHint } from '../../lib/api-key.js';
import { randomBase62 } from '../../lib/ids.js';
import type { AccountsTable, ApiKeysTable, Database } from '../database.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AccountRow = Selectable<AccountsTable>;

export interface NewKey {
  name: string;
  isAdmin?: boolean;
  /** Total spend limit of the key, nanodollars. */
  creditLimit?: number | null;
  limitDaily?: number | null;
  limitMonthly?: number | null;
  rpm?: number | null;
  tpm?: number | null;
  /** Join an existing account; otherwise a new one is created for the key. */
  accountId?: string;
  /** For a new account: prepaid (needs credit) or unlimited (usage recorded, never refused). Default unlimited. */
  mode?: 'prepaid' | 'unlimited';
  /** For a new prepaid account: an opening top-up, nanodollars. */
  initialCredit?: number;
  /** The client region the key is used from (ISO country), for governance when no header or GeoIP says. */
  region?: string | null;
}

export type KeyChanges = Partial<
  Pick<ApiKeysTable, 'name' | 'credit_limit' | 'limit_daily' | 'limit_monthly' | 'rpm' | 'tpm' | 'disabled_at' | 'region'>
>;

export class KeysRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a key (and its account, and the opening top-up) in one transaction; the plaintext is returned once. */
  async create(input: NewKey): Promise<{ row: ApiKeyRow; key: string }> {
    const key = generateApiKey();
    const now = Date.now();
    const id = `key_${randomBase62(16)}`;
    const accountId = input.accountId ?? `acct_${randomBase62(16)}`;
    const row: ApiKeyRow = {
      id,
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
      account_id: accountId,
      limit_daily: input.limitDaily ?? null,
      limit_monthly: input.limitMonthly ?? null,
      region: input.region ?? null,
    };
    await this.db.transaction().execute(async (transaction) => {
      if (input.accountId === undefined) {
        await transaction
          .insertInto('accounts')
          .values({
            id: accountId,
            name: input.name,
            mode: input.mode ?? (input.initialCredit !== undefined ? 'prepaid' : 'unlimited'),
            created_at: now,
          })
          .execute();
      } else if (!(await transaction.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst())) {
        throw new Error(`no account with id ${accountId}`);
      }
      await transaction.insertInto('api_keys').values(row).execute();
      if (input.initialCredit !== undefined && input.initialCredit > 0) {
        await transaction
          .insertInto('ledger_entries')
          .values({
            id: `opening:${id}`,
            account_id: accountId,
            key_id: null,
            kind: 'topup',
            amount: input.initialCredit,
            generation_id: null,
            upstream_id: null,
            model: null,
            provider: null,
            note: 'opening credit',
            created_at: now,
          })
          .execute();
      }
    });
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

  /** Applies changes; returns the updated row, or undefined when no such key exists. */
  async update(id: string, changes: KeyChanges): Promise<ApiKeyRow | undefined> {
    const set: Updateable<ApiKeysTable> = { ...changes, updated_at: Date.now() };
    await this.db.updateTable('api_keys').set(set).where('id', '=', id).execute();
    return this.findById(id);
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

  accounts(): Promise<AccountRow[]> {
    return this.db.selectFrom('accounts').selectAll().execute();
  }

  findAccount(id: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async setAccountMode(id: string, mode: 'prepaid' | 'unlimited'): Promise<void> {
    await this.db.updateTable('accounts').set({ mode }).where('id', '=', id).execute();
  }
}
