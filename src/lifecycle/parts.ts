/**
 * What one request's lifecycle needs of the gateway: the planner and retry budget (routing), the
 * credit book and ledger (money), the record sink, idempotency, rate limits, the log, and the
 * shutdown signal. main.ts builds it once; routes hand it in whole, nothing else does.
 */
import type { Logger } from '../lib/logger.js';
import type { IdempotencyStore } from '../metering/idempotency.js';
import type { Limiter } from '../metering/rate-limit.js';
import type { BillingParts } from '../metering/settle.js';
import type { BatchWriter } from '../metering/sink.js';
import type { RetryBudget } from '../routing/execute.js';
import type { Planner } from '../routing/plan.js';
import type { Governance } from '../governance/gate.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { NewGeneration } from '../store/repos/generations.js';

export interface LifecycleParts extends BillingParts {
  planner: Planner;
  budget: RetryBudget;
  /** Most endpoints tried for one request. */
  maxAttempts: number;
  /** Generation records, written in batches after the response. */
  sink: BatchWriter<NewGeneration>;
  idempotency: IdempotencyStore;
  limiter: Limiter;
  logger: Logger;
  /** Policies: each request's gate (client region, the policies in scope) and the audit log. */
  governance: Governance;
  /** Metrics and traces: every outcome is counted (and traced when an OTLP endpoint is configured). */
  telemetry: Telemetry;
  /** True while the request asking is the only one being served (its commit can start at once: nothing else will join the batch). */
  alone(): boolean;
}

/** The HTTP side of one request, as the lifecycle sees it. */
export interface HttpExchange {
  request: import('node:http').IncomingMessage;
  response: import('node:http').ServerResponse;
  /** performance.now() when the request arrived. */
  startedAt: number;
}
