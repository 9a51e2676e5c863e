/**
 * Reserve before forwarding, settle after: the money side of one request.
 * `reserve` holds the most the request can cost at the priciest endpoint it may be sent to
 * (prompt estimate + max_tokens, or the endpoint's max output, or what is left of its context);
 * `price` prices the real usage, `post` posts the charge and resolves when it is committed;
 * a failed or empty generation costs nothing and only releases the hold.
 */
import type { KeyRecord } from '../catalog/key-directory.js';
import type { Attempt } from '../routing/plan.js';
import { MAX_BALANCE_NANOS } from '../lib/money.js';
import { AgoraError } from '../contract/errors.js';
import { computeCost, maximumCost, ZERO_COST, type Cost } from './cost.js';
import type { Reservation } from './ledger.js';
import type { GenerationTrace } from './trace.js';
import type { IdempotencyRecordsTable } from '../store/database.js';
import type { LedgerWrite } from '../store/repos/ledger.js';
import type { CreditBook } from './ledger.js';
import type { BatchWriter } from './sink.js';
import type { StoreProbe } from './store-probe.js';

/** What the money side of a request needs (the Gateway has these parts). */
export interface BillingParts {
  credits: CreditBook;
  /** Ledger rows, group-committed. */
  ledgerWriter: BatchWriter<LedgerWrite>;
  /** Whether the store answers its liveness probe (credits fail closed when it does not). */
  storeHealth: StoreProbe;
}

/** Output tokens assumed when neither the request nor the endpoint bounds them. */
const DEFAULT_OUTPUT_TOKENS = 4_096;
/** Longest a response waits for its charge to commit before it gives up on closing cleanly. */
export const SETTLE_TIMEOUT_MS = 5_000;

export interface Billing {
  key: KeyRecord;
  reservation: Reservation | undefined;
}

export function storeDown(): AgoraError {
  return new AgoraError('The credits ledger is unavailable, so no request can be charged; try again shortly.', {
    status: 503,
    kind: 'provider_overloaded',
    type: 'server_error',
    code: 'ledger_unavailable',
    retryable: false,
    headers: { 'retry-after': '1' },
  });
}

function outputBound(attempt: Attempt, promptTokens: number, maxTokens: number | undefined): number {
  if (maxTokens !== undefined) return maxTokens;
  const endpoint = attempt.endpoint.endpoint;
  if (endpoint.maxOutput !== undefined) return endpoint.maxOutput;
  if (endpoint.contextLength !== undefined) return Math.max(1, endpoint.contextLength - promptTokens);
  return DEFAULT_OUTPUT_TOKENS;
}

/** Holds credit for the request (throws 402, or 503 when the ledger store is down); async only with shared (Redis) credits. */
export function reserve(
  gateway: BillingParts,
  key: KeyRecord,
  attempts: Attempt[],
  maxAttempts: number,
  promptTokens: number,
  maxTokens: number | undefined,
): Billing | Promise<Billing> {
  if (key.accountId === null) return { key, reservation: undefined }; // the master key is not metered in a ledger
  if (!gateway.ledgerWriter.healthy || !gateway.storeHealth.up) throw storeDown();
  let amount = 0;
  for (const attempt of attempts.slice(0, maxAttempts)) {
    amount = Math.max(amount, maximumCost(promptTokens, outputBound(attempt, promptTokens, maxTokens), attempt.endpoint.prices));
  }
  // A hold never leaves the exact integer range (max_tokens may be absurd on an endpoint without bounds).
  if (amount > MAX_BALANCE_NANOS) amount = MAX_BALANCE_NANOS;
  const reservation = gateway.credits.reserve(key, amount);
  return reservation instanceof Promise ? reservation.then((held) => ({ key, reservation: held })) : { key, reservation };
}

/**
 * Prices the outcome (a failed or empty generation costs nothing) and notes it on `trace`. Known
 * at once, so the answer can carry its cost before the charge is posted.
 */
export function price(trace: GenerationTrace, attempt: Attempt | undefined, success: boolean): Cost {
  let cost = success && attempt ? computeCost(trace.billableUsage(), attempt.endpoint.prices) : ZERO_COST;
  // An upstream reporting absurd usage cannot push a balance out of the exact integer range.
  if (cost.totalNanos > MAX_BALANCE_NANOS) cost = { ...cost, totalNanos: MAX_BALANCE_NANOS };
  trace.cost = cost.totalNanos;
  trace.costBreakdown = cost;
  return cost;
}

/**
 * Posts the charge for `cost` (and the stored answer of an Idempotency-Key, in the same commit).
 * Resolves when both are committed; undefined when there is nothing to write. The ledger writer
 * rejects a commit that waits longer than SETTLE_TIMEOUT_MS.
 */
export function post(
  gateway: BillingParts,
  billing: Billing,
  trace: GenerationTrace,
  cost: Cost,
  stored?: IdempotencyRecordsTable,
): Promise<void> | undefined {
  if (billing.reservation) {
    const generation = { id: trace.id, upstreamId: trace.upstreamId, model: trace.model, provider: trace.provider };
    return gateway.credits.settle(billing.reservation, billing.key, cost.totalNanos, generation, stored);
  }
  return stored ? gateway.ledgerWriter.commit({ idempotency: stored }) : undefined;
}

/** Releases a hold without charging (the request failed before any answer). */
export function release(gateway: BillingParts, billing: Billing): void {
  if (billing.reservation) gateway.credits.release(billing.reservation);
}
