/** Policies written through the admin API, their version (other instances poll it), and the audit log. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, PolicyAuditTable } from '../database.js';

export type AuditRow = Selectable<PolicyAuditTable>;
export type NewAuditRow = Insertable<PolicyAuditTable>;

export interface StoredPolicy {
  id: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface AuditQuery {
  keyId?: string | undefined;
  rule?: string | undefined;
  outcome?: 'allowed' | 'refused' | undefined;
  from: number;
  to: number;
  limit: number;
}

export class PoliciesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async version(): Promise<number> {
    const row = await this.db.selectFrom('policy_state').select('version').where('id', '=', 1).executeTakeFirst();
    return row ? Number(row.version) : 0;
  }

  async all(): Promise<StoredPolicy[]> {
    const rows = await this.db.selectFrom('policies').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ ...row, created_at: Number(row.created_at), updated_at: Number(row.updated_at) }));
  }

  /** Inserts or replaces a policy and steps the version, in one transaction; false when `create` and the id exists. */
  async put(id: string, body: string, create: boolean, now = Date.now()): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('policies').select('id').where('id', '=', id).executeTakeFirst();
      if (existing && create) return false;
      if (existing) await trx.updateTable('policies').set({ body, updated_at: now }).where('id', '=', id).execute();
      else await trx.insertInto('policies').values({ id, body, created_at: now, updated_at: now }).execute();
      await this.step(trx);
      return true;
    });
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('policies').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await this.step(trx);
      return true;
    });
  }

  private async step(trx: Kysely<Database>): Promise<void> {
    const current = await trx.selectFrom('policy_state').select('version').where('id', '=', 1).executeTakeFirst();
    if (current)
      await trx
        .updateTable('policy_state')
        .set({ version: Number(current.version) + 1 })
        .where('id', '=', 1)
        .execute();
    else await trx.insertInto('policy_state').values({ id: 1, version: 1 }).execute();
  }

  async insertAudit(rows: NewAuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < rows.length; start += 500) {
        await trx
          .insertInto('policy_audit')
          .values(rows.slice(start, start + 500))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .execute();
      }
    });
  }

  async listAudit(query: AuditQuery): Promise<AuditRow[]> {
    let select = this.db.selectFrom('policy_audit').selectAll().where('created_at', '>=', query.from).where('created_at', '<', query.to);
    if (query.keyId !== undefined) select = select.where('key_id', '=', query.keyId);
    if (query.rule !== undefined) select = select.where('rule', '=', query.rule);
    if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
    const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((row) => ({ ...row, created_at: Number(row.created_at), refused_endpoints: Number(row.refused_endpoints) }));
  }
}
