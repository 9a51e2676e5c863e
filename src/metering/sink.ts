/**
 * Batched writers. The request path only appends (an array push); rows are written in one
 * transaction per batch. Two flavours share the code:
 * - fire-and-forget (`enqueue`): generation records, written every `intervalMs`;
 * - group commit (`commit`): ledger rows; the batch is written as soon as the event loop turns,
 *   and each caller's promise resolves when its own row is committed, so a response can wait for
 *   its settlement before it closes without waiting on anyone else's.
 * A failed batch stays queued (in order) and is retried with backoff: a database hiccup loses
 * nothing while the process lives, and `close()` flushes everything before exit.
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
}

export interface BatchWriterOptions {
  /** Delay before a fire-and-forget batch is written (ms). Group commits are written at once. */
  intervalMs?: number;
  maxBatch?: number;
  name: string;
  /** How long `commit()` waits before rejecting with `timeoutError()` (the row stays queued). */
  commitTimeoutMs?: number;
  timeoutError?: () => Error;
}

export class BatchWriter<Row> {
  private queue: Array<Entry<Row>> = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  /** Rows written since start. */
  written = 0;
  /** False after a failed write, true again after a successful one. */
  healthy = true;
  /** Set by telemetry: told of every batch. */
  observer: BatchObserver | undefined;

  constructor(
    private readonly write: (rows: Row[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly options: BatchWriterOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1_000;
  }

  /** Queues a row; it is written within `intervalMs`. */
  enqueue(row: Row): void {
    this.queue.push({ row, waiter: undefined });
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
      });
      this.flushSoon();
      this.watchDeadlines();
    });
  }

  /** One timer for every waiting commit (not one per request): rejects the waiters whose deadline passed. */
  private deadlineTimer: NodeJS.Timeout | undefined;

  private watchDeadlines(): void {
    if (this.deadlineTimer) return;
    this.deadlineTimer = setInterval(() => {
      const now = Date.now();
      let waiting = 0;
      for (const entry of this.queue) {
        if (!entry.waiter) continue;
        if (entry.waiter.deadline <= now) {
          entry.waiter.reject(this.options.timeoutError?.() ?? new Error(`${this.options.name}: commit timed out`));
          entry.waiter = undefined;
        } else {
          waiting++;
        }
      }
      if (waiting === 0 && !this.flushing) {
        clearInterval(this.deadlineTimer);
        this.deadlineTimer = undefined;
      }
    }, 250);
    this.deadlineTimer.unref();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued now; resolves when it is committed (or rejects, leaving it queued). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.queue.length === 0) return;
    const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue.splice(0);
    const started = this.observer ? performance.now() : 0;
    this.flushing = this.write(batch.map((entry) => entry.row)).then(
      () => {
        if (this.observer) this.observe(batch, started, true);
        this.written += batch.length;
        this.failures = 0;
        this.healthy = true;
        for (const entry of batch) entry.waiter?.resolve();
      },
      (error: unknown) => {
        if (this.observer) this.observe(batch, started, false);
        this.queue = batch.concat(this.queue);
        this.failures++;
        this.healthy = false;
        throw error;
      },
    );
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    if (this.queue.length > 0) this.flushSoon();
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

  /** Flushes until empty; gives up after `attempts` consecutive failures. */
  async close(attempts = 5): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.deadlineTimer) clearInterval(this.deadlineTimer);
    this.timer = undefined;
    this.immediate = undefined;
    this.deadlineTimer = undefined;
    for (let attempt = 0; this.queue.length > 0 || this.flushing; attempt++) {
      try {
        await this.flush();
      } catch (error) {
        if (attempt + 1 >= attempts) {
          this.logger.error(`could not write ${this.options.name} before exit`, { rows: this.queue.length, error: String(error) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
  }

  private flushSoon(): void {
    if (this.immediate || this.flushing) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.run();
    });
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }

  private run(): void {
    this.flush().catch((error: unknown) => {
      this.logger.warn(`writing ${this.options.name} failed; will retry`, { rows: this.queue.length, error: String(error) });
      this.schedule(Math.min(2_000, 25 * 2 ** this.failures));
    });
  }
}
