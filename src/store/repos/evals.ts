/** Benchmarks' rows (migration 0009): runs and their items, speed probes, host verifications. */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, EndpointProbesTable, EvalItemsTable, EvalRunsTable, VerificationsTable } from '../database.js';

export type EvalRunRow = Selectable<EvalRunsTable>;
export type EvalItemRow = Selectable<EvalItemsTable>;
export type NewEvalItem = Insertable<EvalItemsTable>;
export type ProbeRow = Selectable<EndpointProbesTable>;
export type VerificationRow = Selectable<VerificationsTable>;

export interface RunTotals {
  n: number;
  correct: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

const numeric = <T extends Record<string, unknown>>(row: T, fields: Array<keyof T>): T => {
  const out = { ...row };
  for (const field of fields) if (out[field] !== null && out[field] !== undefined) out[field] = Number(out[field]) as T[keyof T];
  return out;
};
const RUN_NUMBERS: Array<keyof EvalRunRow> = [
  'temperature',
  'seed',
  'repeats',
  'item_limit',
  'items_total',
  'wall_ms',
  'created_at',
  'updated_at',
];

export class EvalsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createRun(row: Insertable<EvalRunsTable>): Promise<void> {
    await this.db.insertInto('eval_runs').values(row).execute();
  }

  async findRun(id: string): Promise<EvalRunRow | undefined> {
    const row = await this.db.selectFrom('eval_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? numeric(row, RUN_NUMBERS) : undefined;
  }

  /** The latest unfinished run asked with exactly these settings (the one a new `bench run` resumes). */
  async findResumable(
    match: Pick<EvalRunRow, 'suite' | 'source' | 'model' | 'provider' | 'temperature' | 'seed' | 'repeats' | 'item_limit' | 'purpose'>,
  ): Promise<EvalRunRow | undefined> {
    let query = this.db
      .selectFrom('eval_runs')
      .selectAll()
      .where('status', '=', 'running')
      .where('suite', '=', match.suite)
      .where('source', '=', match.source)
      .where('model', '=', match.model)
      .where('temperature', '=', match.temperature)
      .where('repeats', '=', match.repeats)
      .where('purpose', '=', match.purpose);
    query = match.provider === null ? query.where('provider', 'is', null) : query.where('provider', '=', match.provider);
    query = match.seed === null ? query.where('seed', 'is', null) : query.where('seed', '=', match.seed);
    query = match.item_limit === null ? query.where('item_limit', 'is', null) : query.where('item_limit', '=', match.item_limit);
    const row = await query.orderBy('created_at', 'desc').executeTakeFirst();
    return row ? numeric(row, RUN_NUMBERS) : undefined;
  }

  async updateRun(id: string, changes: Partial<Pick<EvalRunRow, 'status' | 'wall_ms' | 'updated_at'>>): Promise<void> {
    await this.db.updateTable('eval_runs').set(changes).where('id', '=', id).execute();
  }

  async listRuns(filter: { model?: string; suite?: string; status?: 'running' | 'done'; purpose?: string } = {}): Promise<EvalRunRow[]> {
    let query = this.db.selectFrom('eval_runs').selectAll();
    if (filter.model) query = query.where('model', '=', filter.model);
    if (filter.suite) query = query.where('suite', '=', filter.suite);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.purpose) query = query.where('purpose', '=', filter.purpose);
    const rows = await query.orderBy('created_at', 'desc').limit(10_000).execute();
    return rows.map((row) => numeric(row, RUN_NUMBERS));
  }

  /** `item_id#repeat` of every stored item of a run. */
  async doneKeys(runId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('eval_items').select(['item_id', 'repeat']).where('run_id', '=', runId).execute();
    return new Set(rows.map((row) => `${row.item_id}#${Number(row.repeat)}`));
  }

  /** Stores one answered item; a second write of the same item and repeat is ignored (false). */
  async insertItem(row: NewEvalItem): Promise<boolean> {
    const result = await this.db
      .insertInto('eval_items')
      .values(row)
      .onConflict((conflict) => conflict.columns(['run_id', 'item_id', 'repeat']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async items(runId: string): Promise<EvalItemRow[]> {
    const rows = await this.db
      .selectFrom('eval_items')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('item_id')
      .orderBy('repeat')
      .execute();
    return rows.map((row) =>
      numeric(row, ['repeat', 'correct', 'prompt_tokens', 'completion_tokens', 'cost_usd', 'latency_ms', 'created_at']),
    );
  }

  async totals(runId: string): Promise<RunTotals> {
    const row = await this.db
      .selectFrom('eval_items')
      .select((eb) => [
        eb.fn.countAll().as('n'),
        eb.fn.sum<number>('correct').as('correct'),
        eb.fn.count('error').as('errors'),
        eb.fn.sum<number>('prompt_tokens').as('prompt_tokens'),
        eb.fn.sum<number>('completion_tokens').as('completion_tokens'),
        eb.fn.sum<number>('cost_usd').as('cost_usd'),
      ])
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return {
      n: Number(row.n),
      correct: Number(row.correct ?? 0),
      errors: Number(row.errors ?? 0),
      prompt_tokens: Number(row.prompt_tokens ?? 0),
      completion_tokens: Number(row.completion_tokens ?? 0),
      cost_usd: Number(row.cost_usd ?? 0),
    };
  }

  async insertProbe(row: Insertable<EndpointProbesTable>): Promise<void> {
    await this.db.insertInto('endpoint_probes').values(row).execute();
  }

  /** Probes since `since` (ms), newest first. */
  async probes(since: number, model?: string): Promise<ProbeRow[]> {
    let query = this.db.selectFrom('endpoint_probes').selectAll().where('created_at', '>=', since);
    if (model) query = query.where('model', '=', model);
    const rows = await query.orderBy('created_at', 'desc').limit(100_000).execute();
    return rows.map((row) => numeric(row, ['input_tokens', 'output_tokens', 'ttft_ms', 'output_tps', 'e2e_ms', 'created_at']));
  }

  async insertVerification(row: Insertable<VerificationsTable>): Promise<void> {
    await this.db.insertInto('verifications').values(row).execute();
  }

  /** Every verification, newest first (the first per model and provider is the one in force). */
  async verifications(model?: string): Promise<VerificationRow[]> {
    let query = this.db.selectFrom('verifications').selectAll();
    if (model) query = query.where('model', '=', model);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(100_000).execute();
    return rows.map((row) =>
      numeric(row, ['correct', 'n', 'reference_correct', 'reference_n', 'agreement', 'tool_f1', 'schema_accuracy', 'created_at']),
    );
  }

  /** Steps when a verification is stored, so gateways reload the verified set. */
  async verificationVersion(): Promise<number> {
    const row = await this.db
      .selectFrom('verifications')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('created_at').as('latest')])
      .executeTakeFirstOrThrow();
    return Number(row.n) * 1e13 + Number(row.latest ?? 0);
  }
}
