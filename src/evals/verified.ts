/**
 * The host verifications in force: the latest verification of each endpoint (model and provider),
 * read from the store at start and again whenever a verification is stored (by `agora bench
 * verify`, possibly from another machine), and handed to the planner for `provider: {verified: true}`.
 */
import type { VerificationState } from '../routing/filters.js';
import type { EvalsRepo } from '../store/repos/evals.js';

export class VerificationDirectory {
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  current: ReadonlyMap<string, VerificationState> = new Map();

  constructor(
    private readonly repo: Pick<EvalsRepo, 'verifications' | 'verificationVersion'>,
    private readonly install: (verifications: ReadonlyMap<string, VerificationState>) => void,
    private readonly refreshMs = 5_000,
  ) {}

  async load(): Promise<void> {
    this.version = await this.repo.verificationVersion();
    const latest = new Map<string, VerificationState>();
    for (const row of await this.repo.verifications()) {
      const key = `${row.model}:${row.provider}`;
      if (!latest.has(key)) latest.set(key, { status: row.status, reason: row.reason, at: row.created_at });
    }
    this.current = latest;
    this.install(latest);
  }

  /** Reloads when a verification was stored since; true when it did. */
  async refresh(): Promise<boolean> {
    if ((await this.repo.verificationVersion()) === this.version) return false;
    await this.load();
    return true;
  }

  start(onError: (error: unknown) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refresh().catch(onError), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
