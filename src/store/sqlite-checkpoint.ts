/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses the threshold — on the request path, with an fsync. Instead the main connection's
 * auto-checkpoint is raised, and a worker thread with its own connection runs a PASSIVE
 * checkpoint every second (it never blocks writers), so commits stay short and even.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(TRUNCATE)'); } catch {} db.close(); process.exit(0); });
`;

export class SqliteCheckpointer {
  private readonly worker: Worker;

  constructor(path: string, intervalMs = 1_000) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { path, intervalMs, module: require.resolve('better-sqlite3') } });
    this.worker.unref();
    this.worker.on('error', () => undefined); // a failed checkpointer only means SQLite's own checkpoints take over
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    // At most 2 s; the timer is cleared once the worker exits, so it never holds a short-lived process open.
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
  }
}
