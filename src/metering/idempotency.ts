/**
 * Idempotency-Key on model calls (Stripe's and the IETF draft's semantics): one upstream call per
 * (key, Idempotency-Key); a duplicate while the first is in flight gets 409, a reused key with a
 * different body 422, a repeat after completion the stored response. Stored responses are written
 * in the same transaction as the request's charge (so a crash cannot keep one without the other)
 * and kept at least 24 hours. A request without the header costs nothing here; one with a key this
 * process has not seen costs one indexed read, so retries after a restart still replay.
 */
import { createHash } from 'node:crypto';
import { AgoraError } from '../contract/errors.js';
import type { IdempotencyRecordsTable } from '../store/database.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const MEMORY_ENTRIES = 10_000;
const MAX_STORED_BYTES = 4 * 1024 * 1024;

export interface StoredResponse {
  requestHash: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  createdAt: number;
}

export type IdempotencyLookup = (keyId: string, idempotencyKey: string) => Promise<IdempotencyRecordsTable | undefined>;

export interface IdempotentCall {
  keyId: string;
  idempotencyKey: string;
  requestHash: string;
}

export function hashRequest(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64url');
}

function conflict(message: string, status: 409 | 422, code: string): AgoraError {
  return new AgoraError(message, {
    status,
    kind: status === 409 ? 'conflict' : 'unprocessable',
    type: 'invalid_request_error',
    code,
    retryable: status === 409,
  });
}

export class IdempotencyStore {
  private readonly inFlight = new Map<string, string>();
  private readonly recent = new Map<string, StoredResponse>();

  constructor(private readonly lookup: IdempotencyLookup) {}

  /**
   * Claims the key for this request, or returns the stored response to replay.
   * Throws 409 while another request holds the key and 422 when the body differs.
   */
  async begin(call: IdempotentCall): Promise<StoredResponse | undefined> {
    const scope = `${call.keyId}\0${call.idempotencyKey}`;
    const busy = this.inFlight.get(scope);
    if (busy !== undefined) {
      if (busy !== call.requestHash)
        throw conflict('This Idempotency-Key was used with a different request body.', 422, 'idempotency_key_reused');
      throw conflict('A request with this Idempotency-Key is still in progress; retry after it completes.', 409, 'idempotency_in_progress');
    }
    let stored = this.recent.get(scope);
    if (!stored) {
      this.inFlight.set(scope, call.requestHash); // claim before the lookup so a concurrent duplicate sees it
      let row: IdempotencyRecordsTable | undefined;
      try {
        row = await this.lookup(call.keyId, call.idempotencyKey);
      } catch (error) {
        this.inFlight.delete(scope);
        throw error;
      }
      if (row && Date.now() - row.created_at < IDEMPOTENCY_TTL_MS) {
        stored = {
          requestHash: row.request_hash,
          status: row.status,
          headers: JSON.parse(row.headers) as Record<string, string>,
          body: row.body,
          createdAt: row.created_at,
        };
        this.inFlight.delete(scope);
      } else {
        return undefined; // claimed: this request runs
      }
    }
    if (Date.now() - stored.createdAt >= IDEMPOTENCY_TTL_MS) {
      this.recent.delete(scope);
      this.inFlight.set(scope, call.requestHash);
      return undefined;
    }
    if (stored.requestHash !== call.requestHash)
      throw conflict('This Idempotency-Key was used with a different request body.', 422, 'idempotency_key_reused');
    return stored;
  }

  /** The request finished with an answer worth replaying; returns the row to commit with the charge (undefined if too large). */
  complete(call: IdempotentCall, response: Omit<StoredResponse, 'requestHash' | 'createdAt'>): IdempotencyRecordsTable | undefined {
    const scope = `${call.keyId}\0${call.idempotencyKey}`;
    this.inFlight.delete(scope);
    if (response.body.length > MAX_STORED_BYTES) return undefined;
    const stored: StoredResponse = { ...response, requestHash: call.requestHash, createdAt: Date.now() };
    this.recent.delete(scope);
    if (this.recent.size >= MEMORY_ENTRIES) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(scope, stored);
    return {
      key_id: call.keyId,
      idempotency_key: call.idempotencyKey,
      request_hash: call.requestHash,
      status: response.status,
      headers: JSON.stringify(response.headers),
      body: response.body,
      created_at: stored.createdAt,
    };
  }

  /** The request failed: a retry may run again. */
  abandon(call: IdempotentCall): void {
    this.inFlight.delete(`${call.keyId}\0${call.idempotencyKey}`);
  }
}
