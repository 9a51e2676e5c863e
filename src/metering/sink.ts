/**
 * Batched writers. The request path only appends (an array push); rows are written in one
 * transaction per batch. Two flavours share the code:
 * - fire-and-forget (`enqueue`): generation records, written every `intervalMs`;
 * - group commit (`commit`): ledger rows; the batch is written as soon as the event loop turns,
 *   and each caller's promise resolves when its own row is committed, so a response can wait for
 *   its settlement before it closes without waiting on anyone else's.
 * A failed batch goes back in the queue, in its place, and is retried with backoff: a database
 * hiccup loses nothing while the process lives, and `close()` flushes everything before exit.
 *
 * By default one batch is in flight at a time: the next one (everything queued meanwhile) starts
 * when the previous round trip is over. `maxInFlight` lets a writer whose batches may commit in any
 * order (the ledger on PostgreSQL) start the next batch without waiting, so charges do not pile up
 * behind one round trip; `ordered` names the rows that still must commit in queue order.
 */
import type { Logger } from '../lib/logger.js';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  /** Epoch ms after which the caller stops waiting (the row stays queued). */
  deadline: number;
  /** performance.now() when `commit()` was called (for the commit-lag metric). */
  queuedAt: number;
}

/** Told of every batch written or failed (telemetry): rows, seconds spent writing, and for group commits the oldest caller's wait. */
export type BatchObserver = (rows: number, writeSeconds: number, oldestWaitSeconds: number | undefined, ok: boolean) => void;

interface Entry<Row> {
  row: Row;
  waiter: Waiter | undefined;
  /** Rank in the order rows were queued: a failed batch goes back in its place. */
  sequence: number;
}

/** A batch being written. */
interface Batch<Row> {
  entries: Array<Entry<Row>>;
  /** It holds a row `options.ordered` names. */
  ordered: boolean;
  /** `failureCount` when it started: only a batch started after the latest failure shows the store is back. */
  epoch: number;
  failed: boolean;
  error: unknown;
  /** Resolves (never rejects) once the outcome is applied: waiters resolved, or the rows requeued. */
  settled: Promise<void>;
}

export interface BatchWriterOptions<Row = unknown> {
  /** Delay before a fire-and-forget batch is written (ms). Group commits are written at once. */
  intervalMs?: number;
  maxBatch?: number;
  name: string;
  /** How long `commit()` waits before rejecting with `timeoutError()` (the row stays queued). */
  commitTimeoutMs?: number;
  timeoutError?: () => Error;
  /**
   * How many batches may be written at once (default 1: a batch starts when the previous one is
   * committed). More is only safe when batches may commit in any order: every row written at most
   * once whatever the order (an idempotent insert), no row reading or overwriting another's. After
   * a failed write it drops to 1 until a write succeeds, so a retry goes first and a store that is
   * down gets one attempt at a time.
   */
  maxInFlight?: number;
  /**
   * Rows that must commit in queue order (an upsert: the last write wins): a batch holding one
   * never starts while another batch holding one is in flight.
   */
  ordered?: (row: Row) => boolean;
}

export class BatchWriter<Row> {
  private queue: Array<Entry<Row>> = [];
  private inFlight: Array<Batch<Row>> = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Consecutive failures (the backoff exponent); 0 once a batch started after the last failure succeeds. */
  private failures = 0;
  /** Failed writes since start (a batch's `epoch`). */
  private failureCount = 0;
  private sequence = 0;
  private closing = false;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Rows written since start. */
  written = 0;
  /** False after a failed write, true again after a successful one started after it. */
  healthy = true;
  /** Set by telemetry: told of every batch. */
  observer: BatchObserver | undefined;

  constructor(
    private readonly write: (rows: Row[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: BatchWriterOptions<Row>,
  ) {
    this.intervalMs = options.intervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  /** Queues a row; it is written within `intervalMs`. */
  enqueue(row: Row): void {
    this.queue.push({ row, waiter: undefined, sequence: ++this.sequence });
    if (this.queue.length >= this.maxBatch) this.flushSoon();
    else if (!this.timer && !this.immediate) this.schedule(this.intervalMs);
  }

  /**
   * Queues a row and resolves once it is committed (group commit with everything queued in this
   * turn); rejects after `commitTimeoutMs` if the store does not answer — the row stays queued.
   */
  commit(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        row,
        waiter: { resolve, reject, deadline: Date.now() + (this.options.commitTimeoutMs ?? 5_000), queuedAt: performance.now() },
        sequence: ++this.sequence,
      });
      this.flushSoon();
      this.watchDeadlines();
    });
  }

  /**
   * Starts the batch of what is queued now instead of when the event loop turns (a store that writes
   * synchronously, SQLite, has committed it when this returns). For a caller that knows no other row
   * is coming this turn (the only request being served): one loop turn less before its commit. Under
   * load it must not be called per row, or every row becomes a batch of its own.
   */
  startNow(): void {
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    this.start();
  }

  /** One timer for every waiting commit (not one per request): rejects the waiters whose deadline passed. */
  private deadlineTimer: NodeJS.Timeout | undefined;

  private watchDeadlines(): void {
    if (this.deadlineTimer) return;
    this.deadlineTimer = setInterval(() => {
      const now = Date.now();
      // Only queued rows: a caller whose row is being written waits for the write's outcome (as
      // before pipelining); the timer keeps running while batches are in flight, for a failed one's
      // waiters coming back to the queue.
      const waiting = this.expire(this.queue, now);
      if (waiting === 0 && this.inFlight.length === 0) {
        clearInterval(this.deadlineTimer);
        this.deadlineTimer = undefined;
      }
    }, 250);
    this.deadlineTimer.unref();
  }

  /** Rejects the waiters of `entries` whose deadline passed; returns how many still wait. */
  private expire(entries: Array<Entry<Row>>, now: number): number {
    let waiting = 0;
    for (const entry of entries) {
      if (!entry.waiter) continue;
      if (entry.waiter.deadline <= now) {
        entry.waiter.reject(this.options.timeoutError?.() ?? new Error(`${this.options.name}: commit timed out`));
        entry.waiter = undefined;
      } else {
        waiting++;
      }
    }
    return waiting;
  }

  /** Rows queued and not being written. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Writes everything queued now; resolves when it is committed, including what was being written
   * at the call. Rejects (leaving the rows queued) when a batch it started fails; a batch already in
   * flight that fails is retried here at once.
   */
  async flush(): Promise<void> {
    const last = this.sequence;
    const started: Array<Batch<Row>> = [];
    for (;;) {
      const failed = started.find((batch) => batch.failed);
      if (failed) throw failed.error;
      for (const batch of this.start()) if (batch.entries[0]!.sequence <= last) started.push(batch);
      const writing = this.inFlight.some((batch) => batch.entries[0]!.sequence <= last);
      if (!writing && (this.queue.length === 0 || this.queue[0]!.sequence > last)) return;
      if (this.inFlight.length > 0) await Promise.race(this.inFlight.map((batch) => batch.settled));
    }
  }

  /** Batches allowed in flight: one at a time after a failure, until a write succeeds. */
  private get limit(): number {
    return this.failures > 0 ? 1 : this.maxInFlight;
  }

  /** Starts as many batches as allowed; returns them. */
  private start(): Array<Batch<Row>> {
    const started: Array<Batch<Row>> = [];
    while (this.queue.length > 0 && this.inFlight.length < this.limit) {
      const size = Math.min(this.queue.length, this.maxBatch);
      let ordered = false;
      if (this.options.ordered) {
        for (let index = 0; index < size && !ordered; index++) ordered = this.options.ordered(this.queue[index]!.row);
        if (ordered && this.inFlight.some((batch) => batch.ordered)) break;
      }
      started.push(this.begin(size === this.queue.length ? this.queue.splice(0) : this.queue.splice(0, size), ordered));
    }
    return started;
  }

  private begin(entries: Array<Entry<Row>>, ordered: boolean): Batch<Row> {
    const startedAt = this.observer ? performance.now() : 0;
    const batch: Batch<Row> = { entries, ordered, epoch: this.failureCount, failed: false, error: undefined, settled: Promise.resolve() };
    this.inFlight.push(batch);
    let writing: Promise<void>;
    try {
      writing = this.write(entries.map((entry) => entry.row));
    } catch (error) {
      writing = Promise.reject(error);
    }
    batch.settled = writing.then(
      () => this.succeeded(batch, startedAt),
      (error: unknown) => this.failed(batch, startedAt, error),
    );
    return batch;
  }

  private succeeded(batch: Batch<Row>, startedAt: number): void {
    this.inFlight.splice(this.inFlight.indexOf(batch), 1);
    if (this.observer) this.observe(batch.entries, startedAt, true);
    this.written += batch.entries.length;
    if (batch.epoch === this.failureCount) {
      this.failures = 0;
      this.healthy = true;
    }
    for (const entry of batch.entries) entry.waiter?.resolve();
    if (this.queue.length > 0) this.flushSoon();
  }

  private failed(batch: Batch<Row>, startedAt: number, error: unknown): void {
    this.inFlight.splice(this.inFlight.indexOf(batch), 1);
    if (this.observer) this.observe(batch.entries, startedAt, false);
    this.requeue(batch.entries);
    this.failures++;
    this.failureCount++;
    this.healthy = false;
    batch.failed = true;
    batch.error = error;
    if (this.closing) return; // close() retries on its own
    this.logger.warn(`writing ${this.options.name} failed; will retry`, { rows: this.queue.length, error: String(error) });
    this.schedule(Math.min(2_000, 25 * 2 ** this.failures));
  }

  /** Puts failed rows back in the queue where they were (both are in queue order). */
  private requeue(entries: Array<Entry<Row>>): void {
    if (this.queue.length === 0 || this.queue[0]!.sequence > entries[entries.length - 1]!.sequence) {
      this.queue = entries.concat(this.queue);
      return;
    }
    const merged: Array<Entry<Row>> = [];
    let index = 0;
    for (const entry of this.queue) {
      while (index < entries.length && entries[index]!.sequence < entry.sequence) merged.push(entries[index++]!);
      merged.push(entry);
    }
    while (index < entries.length) merged.push(entries[index++]!);
    this.queue = merged;
  }

  private observe(batch: Array<Entry<Row>>, started: number, ok: boolean): void {
    const now = performance.now();
    let oldest: number | undefined;
    for (const entry of batch) {
      if (entry.waiter) {
        oldest = entry.waiter.queuedAt;
        break;
      }
    }
    this.observer!(batch.length, (now - started) / 1000, oldest === undefined ? undefined : (now - oldest) / 1000, ok);
  }

  /** Flushes until empty, batches in flight included; gives up after `attempts` consecutive failures. */
  async close(attempts = 5): Promise<void> {
    this.closing = true;
    this.clearTimers();
    for (let attempt = 0; this.queue.length > 0 || this.inFlight.length > 0; attempt++) {
      try {
        await this.flush();
      } catch (error) {
        if (attempt + 1 >= attempts) {
          this.logger.error(`could not write ${this.options.name} before exit`, { rows: this.queue.length, error: String(error) });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
    this.clearTimers();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.deadlineTimer) clearInterval(this.deadlineTimer);
    this.timer = undefined;
    this.immediate = undefined;
    this.deadlineTimer = undefined;
  }

  private flushSoon(): void {
    if (this.immediate || this.inFlight.length >= this.limit) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.start();
    });
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, delayMs);
  }
}
