/**
 * Keeps a running gateway's catalog in step with `agora models sync`: every `catalog_refresh_ms` it
 * reads one number (the synced catalog's version); when it moved, it reads the synced rows, rebuilds
 * the configuration (bundled < synced < file) and hands a new snapshot over. The request path
 * never waits on this: it reads whichever snapshot is current. A synced catalog that does not
 * validate leaves the current snapshot in place and is logged once per version.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../lib/logger.js';
import type { CatalogRepo } from '../store/repos/catalog.js';
import { CatalogSnapshot } from './snapshot.js';
import { fromRows } from './synced.js';

export interface CatalogRefresherOptions {
  repo: Pick<CatalogRepo, 'version' | 'all'>;
  /** The configuration with this synced catalog merged in (the same file and environment as at start). */
  rebuild: (synced: unknown) => ResolvedConfig;
  /** Called with each new snapshot and the one it replaces. */
  install: (next: CatalogSnapshot, previous: CatalogSnapshot) => void;
  logger: Logger;
  intervalMs: number;
}

export class CatalogRefresher {
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly options: CatalogRefresherOptions,
    private current: CatalogSnapshot | undefined = undefined,
  ) {}

  /** The first snapshot, built at start from what the store holds now. */
  async initial(): Promise<CatalogSnapshot> {
    this.version = await this.options.repo.version();
    const config = this.version > 0 ? this.options.rebuild(fromRows(await this.options.repo.all())) : this.options.rebuild(undefined);
    this.current = new CatalogSnapshot(config);
    return this.current;
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.options.logger.warn('catalog refresh failed', { error: String(error) }));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Looks once; true when a new snapshot was installed. Concurrent calls share one look. */
  refresh(): Promise<boolean> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  private async look(): Promise<boolean> {
    const version = await this.options.repo.version();
    if (version === this.version || !this.current) return false;
    this.version = version;
    let config: ResolvedConfig;
    try {
      config = this.options.rebuild(fromRows(await this.options.repo.all()));
    } catch (error) {
      this.options.logger.warn('the synced catalog does not validate; keeping the current one', { version, error: String(error) });
      return false;
    }
    const previous = this.current;
    const next = new CatalogSnapshot(config, previous);
    this.current = next;
    this.options.install(next, previous);
    this.options.logger.info('catalog refreshed', { version, models: next.models.size, servable: next.servable().length });
    return true;
  }
}
