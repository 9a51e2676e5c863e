/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses the threshold — on the request path, with an fsync. Instead the main connection's
 * auto-checkpoint is raised, and a worker thread with its own connection runs a PASSIVE
 * checkpoint every second (it never blocks writers), so commits stay short and even.
 *
 * The worker (a V8 isolate of its own: 10–13 MB of RSS) starts only once the WAL has grown past
 * `startBytes` — checked with one stat() a second — so an idle or lightly used gateway never pays
 * for it; once started it stays.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); parentPort.postMessage('checkpointed'); } catch { /* busy: next time */ }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(TRUNCATE)'); } catch {} db.close(); process.exit(0); });
`;

/** WAL size (bytes) at which the checkpoint worker starts: 1,000 pages of 4 KB. */
export const CHECKPOINT_START_BYTES = 4 * 1024 * 1024;

export class SqliteCheckpointer {
  private worker: Worker | undefined;
  private watch: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  /** Checkpoints the worker has run. */
  checkpoints = 0;

  constructor(
    private readonly path: string,
    private readonly intervalMs = 1_000,
    startBytes = CHECKPOINT_START_BYTES,
  ) {
    if (startBytes <= 0) {
      this.start();
      return;
    }
    this.watch = setInterval(() => this.check(startBytes), intervalMs);
    this.watch.unref();
  }

  /** Starts the worker if the WAL has reached `startBytes` (what the once-a-second watch does); true once it runs. */
  check(startBytes = CHECKPOINT_START_BYTES): boolean {
    if (this.worker) return true;
    let size = 0;
    try {
      size = statSync(`${this.path}-wal`).size;
    } catch {
      return false; // no WAL yet
    }
    if (size >= startBytes) this.start();
    return this.worker !== undefined;
  }

  /** True once the worker runs. */
  get started(): boolean {
    return this.worker !== undefined;
  }

  private start(): void {
    clearInterval(this.watch);
    this.watch = undefined;
    if (this.worker) return;
    // worker_threads is loaded only when a checkpointer is needed
    const { Worker: WorkerClass } = require('node:worker_threads') as typeof import('node:worker_threads');
    this.worker = new WorkerClass(WORKER, {
      eval: true,
      workerData: { path: this.path, intervalMs: this.intervalMs, module: require.resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.worker.on('error', () => undefined); // a failed checkpointer only means SQLite's own checkpoints take over
    this.worker.on('message', () => {
      this.checkpoints++;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves after the worker's next checkpoint. */
  nextCheckpoint(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    this.watch = undefined;
    if (!this.worker) return;
    const exited = new Promise<void>((resolve) => this.worker!.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    // At most 2 s; the timer is cleared once the worker exits, so it never holds a short-lived process open.
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
  }
}
