/**
 * The batched writer for generation records. The request path only `enqueue()`s (an array push);
 * rows are written in one transaction per batch, every `intervalMs` or when `maxBatch` rows wait.
 * A failed batch stays queued and is retried with backoff, so a database hiccup loses nothing;
 * `close()` flushes everything before the process exits.
 */
import type { NewGeneration } from '../store/repos/generations.js';
import type { Logger } from '../lib/logger.js';

export type GenerationWriter = (rows: NewGeneration[]) => Promise<void>;

export interface SinkOptions {
  intervalMs?: number;
  maxBatch?: number;
}

export class GenerationSink {
  private queue: NewGeneration[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  /** Rows written since start (for /metrics and tests). */
  written = 0;

  constructor(private readonly write: GenerationWriter, private readonly logger: Logger, options: SinkOptions = {}) {
    this.intervalMs = options.intervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1_000;
  }

  enqueue(row: NewGeneration): void {
    this.queue.push(row);
    if (this.queue.length >= this.maxBatch) this.schedule(0);
    else if (!this.timer) this.schedule(this.intervalMs);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued now; resolves when it is committed (or rejects, leaving it queued). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.write(batch).then(
      () => {
        this.written += batch.length;
        this.failures = 0;
      },
      (error: unknown) => {
        this.queue = batch.concat(this.queue);
        this.failures++;
        throw error;
      },
    );
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  /** Flushes until empty; gives up after `attempts` consecutive failures. */
  async close(attempts = 5): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (let attempt = 0; this.queue.length > 0 || this.flushing; attempt++) {
      try {
        await this.flush();
      } catch (error) {
        if (attempt + 1 >= attempts) {
          this.logger.error('could not write generation records before exit', { rows: this.queue.length, error: String(error) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => {
        this.logger.warn('writing generation records failed; will retry', { rows: this.queue.length, error: String(error) });
        this.schedule(Math.min(5_000, this.intervalMs * 2 ** this.failures));
      });
    }, delayMs);
  }
}
