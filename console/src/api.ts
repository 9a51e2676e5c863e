/**
 * The console's API client: the gateway's own public and admin routes, typed from the server's own
 * types where the server declares them (rankings, lineage, leaderboard, policies). The key lives in
 * sessionStorage (never in a URL, gone with the tab); every call sends it as a Bearer token.
 */
import type { RankingsAnswer, RankingRow } from '../../src/rankings/query.js';
import type { FamilyView, LineageView } from '../../src/catalog/lineage.js';
import type { LeaderboardRow } from '../../src/evals/leaderboard.js';
import type { PolicyFile } from '../../src/config/schema.js';

export type { RankingsAnswer, RankingRow, FamilyView, LineageView, LeaderboardRow, PolicyFile };

const KEY = 'agora.key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event('agora-key'));
}

/** An API error in the gateway's shape, with its status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const key = storedKey();
  const headers = new Headers(init.headers);
  if (key) headers.set('authorization', `Bearer ${key}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(path, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? `${response.status} ${response.statusText}`;
    throw new ApiError(message, response.status);
  }
  return body as T;
}

// ---- shapes the routes answer (their fields as the server writes them) ----

export interface CatalogModel {
  id: string;
  name: string;
  description?: string;
  context_length: number | null;
  pricing: { prompt: string; completion: string };
  author?: string;
  author_country?: string | null;
  open_weights?: boolean | null;
  license?: string | null;
  parameters?: { total: number | null; active: number | null } | null;
  hugging_face_id?: string | null;
  release_date?: string | null;
  hosts?: number;
  servable?: boolean;
  [field: string]: unknown;
}

export interface Endpoint {
  name: string;
  tag: string;
  provider_name: string;
  context_length: number | null;
  pricing: { prompt: string; completion: string };
  quantization: string | null;
  jurisdiction: string | null;
  uptime_last_1d: number | null;
  latency_last_30m: { p50: number } | null;
  throughput_last_30m: { p50: number } | null;
  enabled: boolean;
  verification: { status: 'passed' | 'flagged'; reason: string; at: string } | null;
}

export interface KeyInfo {
  data: { label: string; is_management?: boolean; usage: number; limit: number | null; [field: string]: unknown };
}

export interface KeyRow {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  usage: number;
  limit: number | null;
  created_at: string;
  [field: string]: unknown;
}

export interface Generation {
  id: string;
  model: string;
  provider_name?: string;
  created_at: string;
  tokens_prompt?: number;
  tokens_completion?: number;
  total_cost?: number;
  [field: string]: unknown;
}

export interface AuditEntry {
  id: string;
  created_at: string;
  key_id: string | null;
  model: string;
  region: string;
  outcome: 'allowed' | 'refused';
  rule: string | null;
  policy: string | null;
  scope: string | null;
  applied: string[];
  detail: string | null;
}

export interface PolicyCheck {
  model: string;
  region: string;
  region_source: string;
  policies: string[];
  allowed: boolean;
  reason: string | null;
  endpoints: Array<{
    provider: string;
    allowed: boolean;
    enabled: boolean;
    rule?: string;
    policy?: string;
    scope?: string;
    detail?: string;
  }>;
  alternatives: Array<{ model: string; provider: string; prompt: number; completion: number }>;
}

// ---- Models, Ecosystem and Leaderboard pages (appended) ----

/** The catalog's facts beside OpenRouter's fields (factsView in src/api/models.ts). */
export interface ModelFacts {
  author: string;
  author_name: string | null;
  author_country: string | null;
  open_weights: boolean | null;
  license: string | null;
  parameters: { total: number | null; active: number | null } | null;
  release_date: string | null;
}

/** One item of GET /api/v1/models as the server writes it (modelItem in src/api/models.ts). */
export interface ModelListItem extends ModelFacts {
  id: string;
  name: string;
  hugging_face_id: string | null;
  description: string;
  context_length: number | null;
  pricing: { prompt: string; completion: string; [field: string]: string };
  providers: string[];
  endpoints_available: number;
  [field: string]: unknown;
}

export interface ModelListAnswer {
  data: ModelListItem[];
  total_count: number;
  links: { next: string | null };
}

/** One endpoint of GET /api/v1/models/{author}/{slug}/endpoints (endpointView in src/api/catalog.ts). */
export interface EndpointDetail extends Endpoint {
  model_id: string;
  max_completion_tokens: number | null;
  upstream_model: string;
  data_policy: { retention_days: number | null; trains_on_prompts: boolean | null; zdr: boolean };
  disabled_reason: string | null;
  circuit: string;
  error_rate: number | null;
  requests_last_1d: number;
  [field: string]: unknown;
}

export interface ModelDetailAnswer {
  data: ModelFacts & {
    id: string;
    name: string;
    description: string;
    architecture: { modality: string; input_modalities: string[]; output_modalities: string[] };
    endpoints: EndpointDetail[];
  };
}

export interface LineageAnswer {
  data: LineageView & {
    query: { id: string; resolved_from: string | null; depth: number; limit: number; top: number };
    graph: { version: number; nodes: number; edges: number; families: number };
  };
}

export interface FamiliesAnswer {
  data: FamilyView[];
  total_count: number;
  graph: { version: number; nodes: number; edges: number; families: number };
}

export interface HostVerification {
  provider: string;
  verification: { status: 'passed' | 'flagged'; reason: string; at: string } | null;
}

/** A row of GET /api/v1/leaderboard: the computed row with the route's additions. */
export interface LeaderboardEntry extends LeaderboardRow {
  base: { model: string; relation: string; index: number | null } | null;
  hosts: HostVerification[];
}

export interface LeaderboardAnswer {
  data: LeaderboardEntry[];
  index: { weights: Record<string, number>; other_suite_weight: number; scale: string; note: string };
  chart: Array<{ model: string; index: number; blended_price: number; median_output_tps: number | null }>;
}

/** `author/slug` (or a Hugging Face id) as a URL path, each segment encoded. */
export const idPath = (id: string): string => id.split('/').map(encodeURIComponent).join('/');

/** Signed in as the shell says, or with a key already in this tab's storage (written before the shell noticed). */
export function hasKey(signedIn: boolean): boolean {
  return signedIn || storedKey() !== null;
}
