/**
 * Guards the batched writer (metering/sink.ts) with several batches in flight (`maxInFlight`, the
 * ledger on PostgreSQL): each caller's commit resolves when its own row is committed, whatever
 * order the batches finish in; a failed batch goes back in the queue in its place and is written
 * once; `flush()` and `close()` wait for what is in flight; `ordered` rows never race; the limit
 * holds; the commit deadline rejects queued callers (not those being written). The store is a
 * scripted fake whose writes the test resolves or rejects by hand. Nothing sleeps: a test awaits a
 * write starting or a promise settling; `turn()` only lets the immediates already queued run (how
 * the writer starts a batch).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../lib/logger.js';
import { BatchWriter, type BatchWriterOptions } from './sink.js';
import { seededRandom } from '../../test/helpers/random.js';

interface Write {
  rows: string[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A store whose writes wait for the test: `write(n)` is the n-th write (from 1) once it has started. */
class ScriptedStore {
  readonly writes: Write[] = [];
  /** Rows committed, in commit order. */
  readonly committed: string[] = [];
  inFlight = 0;
  mostInFlight = 0;
  private waiters: Array<{ index: number; resolve: (write: Write) => void }> = [];

  readonly write = (rows: string[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.inFlight++;
      this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
      const write: Write = {
        rows: [...rows],
        resolve: () => {
          this.inFlight--;
          this.committed.push(...rows);
          resolve();
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      };
      this.writes.push(write);
      const ready = this.waiters.filter((waiter) => waiter.index <= this.writes.length);
      this.waiters = this.waiters.filter((waiter) => waiter.index > this.writes.length);
      for (const waiter of ready) waiter.resolve(this.writes[waiter.index - 1]!);
    });

  nth(index: number): Promise<Write> {
    if (this.writes.length >= index) return Promise.resolve(this.writes[index - 1]!);
    return new Promise((resolve) => this.waiters.push({ index, resolve }));
  }
}

/** A commit's outcome, readable without awaiting it. */
function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error: unknown; done: Promise<void> } {
  const tracked = {
    state: 'pending' as 'pending' | 'resolved' | 'rejected',
    error: undefined as unknown,
    done: promise.then(
      () => {
        tracked.state = 'resolved';
      },
      (error: unknown) => {
        tracked.state = 'rejected';
        tracked.error = error;
      },
    ),
  };
  return tracked;
}

/** A writer with two batches in flight: `a` in the first, `b` in the second, neither answered yet. */
async function twoInFlight(options: Partial<BatchWriterOptions<string>> = {}) {
  const parts = setup({ maxInFlight: 2, ...options });
  const a = track(parts.writer.commit('a'));
  const first = await parts.store.nth(1);
  const b = track(parts.writer.commit('b'));
  const second = await parts.store.nth(2);
  return { ...parts, a, first, b, second };
}

/** Lets every immediate already queued run (the writer starts batches from one). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const logged: Array<{ level: string; message: string }> = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => logged.push({ level: 'warn', message }),
  error: (message) => logged.push({ level: 'error', message }),
};

const writers: Array<BatchWriter<string>> = [];

function setup(options: Partial<BatchWriterOptions<string>> = {}): {
  store: ScriptedStore;
  writer: BatchWriter<string>;
  batches: Array<{ rows: number; ok: boolean }>;
} {
  const store = new ScriptedStore();
  const writer = new BatchWriter<string>(store.write, logger, { name: 'test rows', ...options });
  const batches: Array<{ rows: number; ok: boolean }> = [];
  writer.observer = (rows, _seconds, _oldest, ok) => batches.push({ rows, ok });
  writers.push(writer);
  return { store, writer, batches };
}

afterEach(async () => {
  // Every test leaves its writer idle; close() then only clears its timers.
  await Promise.all(writers.splice(0).map((writer) => writer.close(1)));
  vi.useRealTimers();
  logged.length = 0;
});

describe('BatchWriter with several batches in flight', () => {
  it('keeps one batch in flight by default: the next waits for the round trip', async () => {
    const { store, writer } = setup();
    const a = track(writer.commit('a'));
    const first = await store.nth(1);
    const b = track(writer.commit('b'));
    const c = track(writer.commit('c'));
    await turn();
    expect(store.writes).toHaveLength(1);
    expect(writer.pending).toBe(2);
    first.resolve();
    await a.done;
    const second = await store.nth(2);
    expect(second.rows).toEqual(['b', 'c']); // what queued meanwhile goes as one batch
    second.resolve();
    await Promise.all([b.done, c.done]);
    expect(store.mostInFlight).toBe(1);
    expect(writer.written).toBe(3);
  });

  it('starts a second batch while the first is in flight and never exceeds maxInFlight', async () => {
    const { store, writer, a, first, b, second } = await twoInFlight();
    expect(second.rows).toEqual(['b']);
    const c = track(writer.commit('c'));
    const d = track(writer.commit('d'));
    await turn();
    expect(store.writes).toHaveLength(2); // two in flight: c and d wait
    expect(writer.pending).toBe(2);
    first.resolve();
    await a.done;
    const third = await store.nth(3);
    expect(third.rows).toEqual(['c', 'd']);
    second.resolve();
    third.resolve();
    await Promise.all([b.done, c.done, d.done]);
    expect(store.mostInFlight).toBe(2);
    expect(writer.written).toBe(4);
    expect(writer.pending).toBe(0);
  });

  it('holds maxInFlight with many small batches', async () => {
    const { store, writer } = setup({ maxInFlight: 3, maxBatch: 1 });
    const commits = Array.from({ length: 10 }, (_, index) => track(writer.commit(`r${index}`)));
    await store.nth(3);
    await turn();
    expect(store.writes).toHaveLength(3);
    for (let index = 1; index <= 10; index++) {
      (await store.nth(index)).resolve();
      expect(store.inFlight).toBeLessThanOrEqual(3);
    }
    await Promise.all(commits.map((commit) => commit.done));
    expect(commits.every((commit) => commit.state === 'resolved')).toBe(true);
    expect(store.mostInFlight).toBe(3);
    expect(store.committed).toEqual(Array.from({ length: 10 }, (_, index) => `r${index}`));
  });

  it('resolves each waiter when its own batch commits, in whatever order the batches finish', async () => {
    const { store, writer, batches, a, first, b, second } = await twoInFlight();
    second.resolve();
    await b.done;
    await turn();
    expect(b.state).toBe('resolved');
    expect(a.state).toBe('pending'); // its row is not committed yet
    expect(writer.written).toBe(1);
    first.resolve();
    await a.done;
    expect(a.state).toBe('resolved');
    expect(store.committed).toEqual(['b', 'a']);
    expect(writer.written).toBe(2);
    expect(batches).toEqual([
      { rows: 1, ok: true },
      { rows: 1, ok: true },
    ]);
  });

  it('requeues a failed batch in its place while another succeeds, and writes every row once', async () => {
    const { store, writer, batches, a, first, b, second } = await twoInFlight();
    const c = track(writer.commit('c'));
    first.reject(new Error('connection reset'));
    await turn();
    expect(writer.healthy).toBe(false);
    expect(writer.pending).toBe(2); // a back in front of c
    expect(a.state).toBe('pending'); // the caller still waits: the row is queued
    expect(logged).toEqual([{ level: 'warn', message: 'writing test rows failed; will retry' }]);
    const d = track(writer.commit('d'));
    await turn();
    expect(store.writes).toHaveLength(2); // after a failure one batch at a time: b is still in flight
    second.resolve();
    await b.done;
    // b started before the failure: its success does not prove the store is back.
    expect(writer.healthy).toBe(false);
    const retry = await store.nth(3);
    expect(retry.rows).toEqual(['a', 'c', 'd']);
    retry.resolve();
    await Promise.all([a.done, c.done, d.done]);
    expect([a.state, b.state, c.state, d.state]).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
    expect(writer.healthy).toBe(true);
    expect(writer.written).toBe(4);
    expect(writer.pending).toBe(0);
    expect(store.committed).toEqual(['b', 'a', 'c', 'd']);
    expect(batches).toEqual([
      { rows: 1, ok: false },
      { rows: 1, ok: true },
      { rows: 3, ok: true },
    ]);
  });

  it('puts failed batches back in queue order whichever fails first', async () => {
    const { store, writer, batches, a, first, b, second } = await twoInFlight();
    const c = track(writer.commit('c'));
    first.reject(new Error('down'));
    await turn();
    second.reject(new Error('down')); // b goes back between a and c, not in front
    await turn();
    expect(writer.pending).toBe(3);
    const flushed = writer.flush(); // retries at once instead of after the backoff
    const retry = await store.nth(3);
    expect(retry.rows).toEqual(['a', 'b', 'c']);
    retry.resolve();
    await flushed;
    await Promise.all([a.done, b.done, c.done]);
    expect(store.committed).toEqual(['a', 'b', 'c']);
    expect(batches.map((batch) => batch.ok)).toEqual([false, false, true]);
    expect(writer.healthy).toBe(true);
  });

  it('flush() resolves once what was queued and in flight at the call is committed', async () => {
    const { store, writer } = setup({ maxInFlight: 2 });
    writer.commit('a').catch(() => undefined);
    const first = await store.nth(1);
    writer.commit('b').catch(() => undefined);
    const second = await store.nth(2);
    writer.enqueue('c');
    const flushed = track(writer.flush());
    second.resolve();
    const third = await store.nth(3);
    expect(third.rows).toEqual(['c']);
    third.resolve();
    await turn();
    expect(flushed.state).toBe('pending'); // a is still being written
    first.resolve();
    await flushed.done;
    expect(flushed.state).toBe('resolved');
    expect(store.committed).toEqual(['b', 'c', 'a']);
  });

  it('flush() rejects when the batch it writes fails, leaving the rows queued', async () => {
    const { store, writer } = setup({ maxInFlight: 2 });
    writer.enqueue('a');
    const flushed = track(writer.flush());
    const first = await store.nth(1);
    first.reject(new Error('down'));
    await flushed.done;
    expect(flushed.state).toBe('rejected');
    expect(String(flushed.error)).toContain('down');
    expect(writer.pending).toBe(1);
    const again = writer.flush();
    (await store.nth(2)).resolve();
    await again;
    expect(store.committed).toEqual(['a']);
  });

  it('close() waits for the batches in flight, retries a failed one and writes what is queued', async () => {
    const { store, writer, a, first, b, second } = await twoInFlight();
    const c = track(writer.commit('c'));
    const closed = track(writer.close());
    first.reject(new Error('connection reset'));
    second.resolve();
    await b.done;
    const retry = await store.nth(3);
    expect(retry.rows).toEqual(['a', 'c']);
    await turn();
    expect(closed.state).toBe('pending');
    retry.resolve();
    await closed.done;
    expect([a.state, b.state, c.state, closed.state]).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
    expect(store.committed).toEqual(['b', 'a', 'c']);
    expect(writer.pending).toBe(0);
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('keeps ordered rows one batch at a time while other batches overlap', async () => {
    const { store, writer } = setup({ maxInFlight: 3, ordered: (row) => row.startsWith('idem') });
    const first = track(writer.commit('idem-1'));
    const one = await store.nth(1);
    const charge = track(writer.commit('charge'));
    const two = await store.nth(2); // a batch without ordered rows overlaps
    expect(two.rows).toEqual(['charge']);
    const second = track(writer.commit('idem-2'));
    await turn();
    expect(store.writes).toHaveLength(2); // idem-2 waits for idem-1 although a slot is free
    one.resolve();
    await first.done;
    const three = await store.nth(3);
    expect(three.rows).toEqual(['idem-2']);
    three.resolve();
    two.resolve();
    await Promise.all([charge.done, second.done]);
    expect(store.committed).toEqual(['idem-1', 'idem-2', 'charge']);
  });

  it('holds its promises under random interleavings of commits, successes and failures', async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const random = seededRandom(seed);
      const maxInFlight = 1 + Math.floor(random() * 4);
      const ordered = (row: string): boolean => row.startsWith('idem');
      const { store, writer, batches } = setup({ maxInFlight, maxBatch: 1 + Math.floor(random() * 5), ordered });
      const open: Write[] = [];
      let orderedInFlight = 0;
      const queued: string[] = [];
      const settled: Array<Promise<void>> = [];
      const settle = (write: Write, ok: boolean): void => {
        open.splice(open.indexOf(write), 1);
        if (write.rows.some(ordered)) orderedInFlight--;
        if (ok) write.resolve();
        else write.reject(new Error('down'));
      };
      let seen = 0;
      const notice = (): void => {
        for (; seen < store.writes.length; seen++) {
          const write = store.writes[seen]!;
          open.push(write);
          if (write.rows.some(ordered)) orderedInFlight++;
          expect(orderedInFlight).toBeLessThanOrEqual(1);
        }
      };
      for (let step = 0; step < 150; step++) {
        notice();
        const action = random();
        if (action < 0.4) {
          const row = `${random() < 0.2 ? 'idem' : 'row'}-${seed}-${step}`;
          queued.push(row);
          settled.push(
            writer.commit(row).then(() => {
              expect(store.committed).toContain(row); // resolved only once its own row is committed
            }),
          );
        } else if (action < 0.75 && open.length > 0) {
          settle(open[Math.floor(random() * open.length)]!, true);
        } else if (action < 0.85 && open.length > 0) {
          settle(open[Math.floor(random() * open.length)]!, false);
        } else {
          await turn();
        }
      }
      // Drain: everything still queued or in flight commits.
      const drained = track(writer.flush());
      while (drained.state === 'pending') {
        notice();
        for (const write of [...open]) settle(write, true);
        await turn();
      }
      expect(drained.state).toBe('resolved');
      await Promise.all(settled);
      expect(store.mostInFlight).toBeLessThanOrEqual(maxInFlight);
      expect([...store.committed].sort()).toEqual([...queued].sort()); // every row once
      expect(store.committed.filter(ordered)).toEqual(queued.filter(ordered)); // ordered rows in queue order
      expect(writer.written).toBe(queued.length);
      expect(writer.pending).toBe(0);
      expect(writer.healthy).toBe(true);
      expect(batches).toHaveLength(store.writes.length);
      writers.splice(writers.indexOf(writer), 1);
      await writer.close(1);
    }
  });

  it('rejects queued commits past their deadline, lets those in flight wait for the write, and writes every row', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const timeout = new Error('store down');
    const { store, writer, a, first, b, second } = await twoInFlight({ commitTimeoutMs: 1_000, timeoutError: () => timeout });
    const c = track(writer.commit('c')); // queued: two batches are in flight
    vi.advanceTimersByTime(900);
    await turn();
    expect([a.state, b.state, c.state]).toEqual(['pending', 'pending', 'pending']);
    vi.advanceTimersByTime(350);
    await c.done;
    expect(c.error).toBe(timeout);
    expect([a.state, b.state]).toEqual(['pending', 'pending']); // being written: they wait for the outcome
    expect(writer.pending).toBe(1); // c stays queued
    second.reject(new Error('down'));
    await turn();
    expect(writer.pending).toBe(2); // b back in the queue, before c; a still in flight, so no retry yet
    const flushed = writer.flush();
    first.resolve();
    await a.done;
    expect(a.state).toBe('resolved');
    const retry = await store.nth(3);
    expect(retry.rows).toEqual(['b', 'c']);
    vi.advanceTimersByTime(250);
    await turn();
    expect(b.state).toBe('pending'); // past its deadline, but being written again: it waits
    retry.resolve();
    await Promise.all([b.done, flushed]);
    expect(b.state).toBe('resolved');
    expect(store.committed).toEqual(['a', 'b', 'c']);
    expect(writer.written).toBe(3);
    expect(writer.pending).toBe(0);
  });
});

describe('BatchWriter.startNow', () => {
  it('starts the queued rows as one batch before it returns, and the loop turn it replaced starts nothing more', async () => {
    const { store, writer, batches } = setup();
    const a = track(writer.commit('a'));
    const b = track(writer.commit('b'));
    expect(store.writes).toHaveLength(0); // a commit waits for the loop to turn
    writer.startNow();
    expect(store.writes.map((write) => write.rows)).toEqual([['a', 'b']]); // started synchronously, both rows together
    await turn();
    expect(store.writes).toHaveLength(1); // the cancelled immediate started no second batch
    store.writes[0]!.resolve();
    await Promise.all([a.done, b.done]);
    expect([a.state, b.state]).toEqual(['resolved', 'resolved']);
    expect(batches).toEqual([{ rows: 2, ok: true }]);
  });

  it('leaves rows queued while the in-flight limit is reached, and writes them once the batch in flight is done', async () => {
    const { store, writer } = setup(); // one batch at a time
    const a = track(writer.commit('a'));
    const first = await store.nth(1);
    const b = track(writer.commit('b'));
    writer.startNow();
    expect(store.writes).toHaveLength(1);
    expect(writer.pending).toBe(1);
    first.resolve();
    const second = await store.nth(2);
    expect(second.rows).toEqual(['b']);
    second.resolve();
    await Promise.all([a.done, b.done]);
    expect(store.committed).toEqual(['a', 'b']);
  });

  it('commits before it returns when the store writes synchronously (SQLite), with nothing waiting on a timer', async () => {
    const committed: string[][] = [];
    const writer = new BatchWriter<string>(
      async (rows) => {
        committed.push([...rows]);
      },
      logger,
      { name: 'sync rows' },
    );
    writers.push(writer);
    const a = track(writer.commit('a'));
    writer.startNow();
    expect(committed).toEqual([['a']]);
    await a.done;
    expect(a.state).toBe('resolved');
    expect(writer.written).toBe(1);
  });
});
