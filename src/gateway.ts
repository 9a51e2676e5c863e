/**
 * The composition root's types: `Gateway` (the parts main.ts wires together once) and `Exchange`
 * (what every route handler receives). Only routes (api/) and the root see the whole Gateway; inner
 * modules take the few parts they use.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatalogSnapshot } from './catalog/snapshot.js';
import type { KeyDirectory } from './catalog/key-directory.js';
import type { LineageDirectory } from './catalog/lineage.js';
import type { ResolvedConfig } from './config/types.js';
import type { Logger } from './lib/logger.js';
import type { CreditBook } from './metering/ledger.js';
import type { StoreProbe } from './metering/store-probe.js';
import type { Limiter } from './metering/rate-limit.js';
import type { IdempotencyStore } from './metering/idempotency.js';
import type { BatchWriter } from './metering/sink.js';
import type { NewGeneration } from './store/repos/generations.js';
import type { LedgerWrite } from './store/repos/ledger.js';
import type { NewAuditRow } from './store/repos/policies.js';
import type { VerificationDirectory } from './evals/verified.js';
import type { EvalsRepo } from './store/repos/evals.js';
import type { AdminStore } from './admin-store.js';
import type { RetryBudget } from './routing/execute.js';
import type { Planner } from './routing/plan.js';
import type { LifecycleParts } from './lifecycle/parts.js';
import type { ResponseStore } from './metering/response-store.js';

export interface GatewayState {
  /** SIGTERM received: new connections are refused, responses carry `connection: close`. */
  draining: boolean;
  /** Requests being served now. */
  inFlight: number;
  /** Called when inFlight drops to 0 (shutdown waits on it). */
  onIdle?: (() => void) | undefined;
  startedAt: number;
}

export interface Gateway {
  config: ResolvedConfig;
  catalog: CatalogSnapshot;
  planner: Planner;
  budget: RetryBudget;
  keys: KeyDirectory;
  /** Generation records, written in batches after the response. */
  sink: BatchWriter<NewGeneration>;
  credits: CreditBook;
  idempotency: IdempotencyStore;
  /** Per-key rpm / tpm limits (in memory, or shared through Redis). */
  limiter: Limiter;
  /** Whether the store answers its liveness probe (credits fail closed when it does not). */
  storeHealth: StoreProbe;
  /** Ledger rows, group-committed; a response waits for its own charge before it closes. */
  ledgerWriter: BatchWriter<LedgerWrite>;
  /** Policy decisions, written in batches off the request path. */
  auditWriter: BatchWriter<NewAuditRow>;
  /** Host verifications in force (`provider.verified`), reloaded when one is stored. */
  verifications: VerificationDirectory;
  /** Benchmark runs, probes and verifications (read by the leaderboard; written by `agora bench`). */
  evals: Pick<EvalsRepo, 'listRuns' | 'totals' | 'probes' | 'verifications'>;
  /** Installs the stored catalog now if it changed (after an admin write); true when a new snapshot was installed. */
  refreshCatalog(): Promise<boolean>;
  /** Reads and admin writes off the request path (key management, generation lookups). */
  admin: AdminStore;
  logger: Logger;
  state: GatewayState;
  /** Stored Responses (OpenAI's Responses API), per owner. */
  responses: ResponseStore;
  /** The model lineage graph (base → derivative), reloaded when an import changes the store. */
  lineage: LineageDirectory;
  /** What a request's lifecycle needs (the parts above, narrowed): handed to lifecycle/ by the routes. */
  lifecycle: LifecycleParts;
}

export interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  gateway: Gateway;
  path: string;
  query: URLSearchParams;
  /** performance.now() when the request arrived. */
  startedAt: number;
}

export type RouteHandler = (exchange: Exchange) => Promise<void> | void;
