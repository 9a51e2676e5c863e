/**
 * Liveness of the ledger store, probed in the background (never on the request path): credits
 * fail closed, so when the store does not answer a probe within `timeoutMs`, new metered requests
 * get 503 at once instead of being forwarded without a way to charge them.
 */
export class StoreProbe {
  up = true;
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly intervalMs = 250,
    private readonly timeoutMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private tick(): void {
    const now = Date.now();
    if (this.pendingSince > 0) {
      if (now - this.pendingSince > this.timeoutMs) this.up = false; // a frozen store: the probe hangs
      return;
    }
    this.pendingSince = now;
    this.ping().then(
      () => {
        this.pendingSince = 0;
        this.up = true;
      },
      () => {
        this.pendingSince = 0;
        this.up = false;
      },
    );
  }
}
