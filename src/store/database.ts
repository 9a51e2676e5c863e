/** Table types for Kysely. The same schema on SQLite and PostgreSQL; times are epoch milliseconds, money integer nanodollars. */
export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  key_hint: string;
  /** 1 for admin keys (key management, top-ups), else 0. */
  is_admin: number;
  /** Epoch ms, or null while active. */
  disabled_at: number | null;
  /** Spend limit in nanodollars (1e-9 USD), null for none. */
  credit_limit: number | null;
  rpm: number | null;
  tpm: number | null;
  created_at: number;
  updated_at: number;
  account_id: string | null;
  /** Spend limits per UTC day and month, nanodollars. */
  limit_daily: number | null;
  limit_monthly: number | null;
  /** The client region the key is used from (ISO country), when its owner set one (migration 0008). */
  region: string | null;
}

export interface AccountsTable {
  id: string;
  name: string;
  mode: 'prepaid' | 'unlimited';
  created_at: number;
}

export type LedgerKind = 'topup' | 'charge' | 'refund' | 'adjustment';

export interface LedgerEntriesTable {
  /** The idempotency key of the posting (`charge:<generation>`, `topup:<key>`, `opening:<key>`). */
  id: string;
  account_id: string;
  key_id: string | null;
  kind: LedgerKind;
  /** Signed nanodollars: top-ups positive, charges negative. */
  amount: number;
  generation_id: string | null;
  upstream_id: string | null;
  model: string | null;
  provider: string | null;
  note: string | null;
  created_at: number;
}

export interface IdempotencyRecordsTable {
  key_id: string;
  idempotency_key: string;
  request_hash: string;
  status: number;
  /** JSON object of response headers to replay. */
  headers: string;
  body: string;
  created_at: number;
}

export interface GenerationsTable {
  id: string;
  key_id: string | null;
  api: string;
  model: string;
  provider: string | null;
  upstream_model: string | null;
  upstream_id: string | null;
  streamed: number;
  /** success | error | cancelled */
  status: string;
  http_status: number;
  error_code: string | null;
  error_message: string | null;
  finish_reason: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  app_referer: string | null;
  app_title: string | null;
  /** 1 when the token counts are the gateway's estimate, not the upstream's report. */
  usage_estimated: number;
  /** Charged nanodollars (0 for errors and empty answers). */
  cost: number | null;
  cache_write_tokens: number | null;
  /** JSON array of attempts: provider, status, latency, reason. */
  attempts: string | null;
  created_at: number;
  /** The account charged (`acct_…`), null for a key without one (migration 0007). */
  account_id: string | null;
}

/** Usage rolled up per hour or day and dimension, per account and for the whole gateway (migration 0007). */
export interface UsageRollupsTable {
  grain: 'h' | 'd';
  dim: string;
  account: string;
  bucket: number;
  name: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost: number;
}

/** A stored Response (OpenAI's Responses API), JSON columns as text. */
export interface StoredResponsesTable {
  id: string;
  owner: string;
  model: string;
  previous_response_id: string | null;
  input_items: string;
  response: string;
  created_at: number;
}

/** One entry of the synced catalog (migration 0005). */
export interface CatalogEntriesTable {
  source: string;
  kind: string;
  id: string;
  body: string;
  updated_at: number;
}

export interface CatalogStateTable {
  id: number;
  version: number;
  updated_at: number;
}

/** A model of the lineage graph (migration 0006): a Hugging Face model, keyed by its lower-case id. */
export interface LineageNodesTable {
  key: string;
  id: string;
  author: string | null;
  downloads: number | null;
  likes: number | null;
  /** Epoch ms. */
  created_at: number | null;
  last_modified: number | null;
  pipeline_tag: string | null;
  library: string | null;
  license: string | null;
  /** `false`, `auto` or `manual`. */
  gated: string | null;
  parameters: number | null;
  /** 1 when the facts come from the model's own info, 0 for an id only. */
  known: number;
}

/** A base → derivative edge: `child` derives from `parent` (node keys). */
export interface LineageEdgesTable {
  child: string;
  parent: string;
  relation: 'finetune' | 'adapter' | 'quantized' | 'merge';
  /** Bit set of where the edge was read: 1 tags, 2 the parent's model-tree list, 4 the card. */
  evidence: number;
}

export interface LineageStateTable {
  id: number;
  version: number;
  updated_at: number;
}

/** A policy written through the admin API (migration 0008). */
export interface PoliciesTable {
  id: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface PolicyStateTable {
  id: number;
  version: number;
}

/** One governance decision (migration 0008). */
export interface PolicyAuditTable {
  id: string;
  created_at: number;
  key_id: string | null;
  account_id: string | null;
  model: string;
  region: string;
  region_source: string;
  outcome: 'allowed' | 'refused';
  rule: string | null;
  policy: string | null;
  scope: string | null;
  applied: string;
  refused_endpoints: number;
  detail: string | null;
}

/** An evaluation run (migration 0009). */
export interface EvalRunsTable {
  id: string;
  suite: string;
  source: string;
  model: string;
  provider: string | null;
  status: 'running' | 'done';
  temperature: number;
  seed: number | null;
  repeats: number;
  item_limit: number | null;
  items_total: number;
  template: string;
  purpose: string;
  wall_ms: number;
  created_at: number;
  updated_at: number;
}

/** One answered item of a run. */
export interface EvalItemsTable {
  run_id: string;
  item_id: string;
  repeat: number;
  prompt: string;
  answer: string;
  extracted: string | null;
  correct: number;
  detail: string | null;
  error: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  latency_ms: number;
  provider: string | null;
  created_at: number;
}

export interface EndpointProbesTable {
  id: string;
  model: string;
  provider: string;
  input_tokens: number;
  output_tokens: number;
  ttft_ms: number;
  output_tps: number;
  e2e_ms: number;
  error: string | null;
  created_at: number;
}

export interface VerificationsTable {
  id: string;
  model: string;
  provider: string;
  reference: string;
  suite: string;
  run_id: string;
  reference_run_id: string;
  correct: number;
  n: number;
  reference_correct: number;
  reference_n: number;
  agreement: number;
  tool_f1: number | null;
  schema_accuracy: number | null;
  status: 'passed' | 'flagged';
  reason: string;
  created_at: number;
}

export interface Database {
  eval_runs: EvalRunsTable;
  eval_items: EvalItemsTable;
  endpoint_probes: EndpointProbesTable;
  verifications: VerificationsTable;
  policies: PoliciesTable;
  policy_state: PolicyStateTable;
  policy_audit: PolicyAuditTable;
  catalog_entries: CatalogEntriesTable;
  usage_rollups: UsageRollupsTable;
  catalog_state: CatalogStateTable;
  stored_responses: StoredResponsesTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  generations: GenerationsTable;
  ledger_entries: LedgerEntriesTable;
  idempotency_records: IdempotencyRecordsTable;
  lineage_nodes: LineageNodesTable;
  lineage_edges: LineageEdgesTable;
  lineage_state: LineageStateTable;
}
