/**
 * Waiting on what happened instead of on the clock: a counter a test can await (`reach`), a gate
 * that is open or closed (`wait`), and a poll whose every attempt is started by the previous
 * answer, never by a timer. A test written with these holds on a slow or busy machine: it waits
 * longer, it does not see something else.
 */

/** A count of events (answers completed, requests settled …); `reach(n)` resolves once it is at least n. */
export class Counter {
  value = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];

  add(amount = 1): void {
    this.value += amount;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((waiter) => waiter.target <= this.value);
    this.waiters = this.waiters.filter((waiter) => waiter.target > this.value);
    for (const waiter of ready) waiter.resolve();
  }

  reach(target: number): Promise<void> {
    if (this.value >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /** Resolves at the next event. */
  next(): Promise<void> {
    return this.reach(this.value + 1);
  }
}

/** Open or closed; `wait()` resolves at once when open, else when it is next opened. */
export class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  get isOpen(): boolean {
    return this.release === undefined;
  }

  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  wait(): Promise<void> {
    return this.opened;
  }
}

export interface Polled<T> {
  /** The last answer (the one that met the condition, if any did). */
  last: T | undefined;
  met: boolean;
  attempts: number;
  /** From the first attempt's start to the last answer (performance.now() difference). */
  elapsedMs: number;
}

/**
 * Calls `attempt` again as soon as its previous answer is in, until `done(answer)` holds, at most
 * `maxAttempts` times and not after `withinMs` have passed (a bound, never a pause).
 */
export async function pollUntil<T>(
  attempt: () => Promise<T>,
  done: (answer: T) => boolean,
  bounds: { maxAttempts: number; withinMs: number },
): Promise<Polled<T>> {
  const started = performance.now();
  let last: T | undefined;
  let attempts = 0;
  while (attempts < bounds.maxAttempts) {
    attempts++;
    last = await attempt();
    if (done(last)) return { last, met: true, attempts, elapsedMs: performance.now() - started };
    if (performance.now() - started > bounds.withinMs) break;
  }
  return { last, met: false, attempts, elapsedMs: performance.now() - started };
}
