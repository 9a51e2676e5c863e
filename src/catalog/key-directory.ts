/**
 * The in-memory key directory: every active key by hash, loaded at start and refreshed in the
 * background, so authentication never waits on the database. A key created by `agora keys create`
 * in another process is not in the snapshot yet: the first request that presents it triggers one
 * indexed lookup (then it is cached), and unknown hashes are remembered for a few seconds so a
 * flood of bad keys cannot turn into a flood of queries.
 */
import { hashApiKey } from '../lib/api-key.js';

export interface KeyRecord {
  id: string;
  name: string;
  hint: string;
  isAdmin: boolean;
  disabled: boolean;
  /** Nanodollars, or null for no limit. */
  creditLimit: number | null;
  limitDaily: number | null;
  limitMonthly: number | null;
  rpm: number | null;
  tpm: number | null;
  /** The account whose credits the key spends; null for the master key. */
  accountId: string | null;
  /** The client region the key is used from (ISO country), when set. */
  region: string | null;
}

/** What the directory reads from; the store's KeysRepo satisfies it. */
export interface KeySource {
  list(): Promise<KeySourceRow[]>;
  findByHash(hash: string): Promise<KeySourceRow | undefined>;
}

export interface KeySourceRow {
  id: string;
  name: string;
  key_hash: string;
  key_hint: string;
  is_admin: number;
  disabled_at: number | null;
  credit_limit: number | null;
  limit_daily: number | null;
  limit_monthly: number | null;
  rpm: number | null;
  tpm: number | null;
  account_id: string | null;
  region?: string | null;
}

const NEGATIVE_TTL_MS = 2_000;
const NEGATIVE_MAX = 10_000;

export const MASTER_KEY_ID = 'master';

export function toKeyRecord(row: KeySourceRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    hint: row.key_hint,
    isAdmin: row.is_admin === 1,
    disabled: row.disabled_at !== null,
    creditLimit: row.credit_limit,
    limitDaily: row.limit_daily,
    limitMonthly: row.limit_monthly,
    rpm: row.rpm,
    tpm: row.tpm,
    accountId: row.account_id,
    region: row.region ?? null,
  };
}

export class KeyDirectory {
  private byHash = new Map<string, KeyRecord>();
  private readonly unknown = new Map<string, number>();
  private readonly pending = new Map<string, Promise<KeyRecord | undefined>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly masterHash: string | undefined;

  /** Awaited before a key found by a lookup is used (loads its account's credits). */
  onDiscover: ((record: KeyRecord) => Promise<void>) | undefined;
  /** Waiting for the next snapshot to be in place (see `nextLoad`). */
  private loadWaiters: Array<() => void> = [];

  constructor(
    private readonly source: KeySource,
    masterKey: string | undefined,
    private readonly refreshMs = 5_000,
  ) {
    this.masterHash = masterKey ? hashApiKey(masterKey) : undefined;
  }

  async load(): Promise<void> {
    const next = new Map<string, KeyRecord>();
    for (const row of await this.source.list()) {
      const record = toKeyRecord(row);
      if (!this.byHash.has(row.key_hash)) await this.onDiscover?.(record);
      next.set(row.key_hash, record);
    }
    if (this.masterHash) {
      next.set(this.masterHash, {
        id: MASTER_KEY_ID,
        name: 'AGORA_MASTER_KEY',
        hint: 'AGORA_MASTER_KEY',
        isAdmin: true,
        disabled: false,
        creditLimit: null,
        limitDaily: null,
        limitMonthly: null,
        rpm: null,
        tpm: null,
        accountId: null,
        region: null,
      });
    }
    this.byHash = next;
    this.unknown.clear();
    const waiters = this.loadWaiters;
    this.loadWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when the next snapshot (started after this call) is in place: a change made in the store is then seen. */
  async nextLoad(): Promise<void> {
    // A load already running may have read the store before the change: wait for the one after it.
    await new Promise<void>((resolve) => this.loadWaiters.push(resolve));
    await new Promise<void>((resolve) => this.loadWaiters.push(resolve));
  }

  /** Refreshes in the background; failures keep the last good snapshot. */
  start(onError: (error: unknown) => void): void {
    this.timer = setInterval(() => void this.load().catch(onError), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The record for a presented key: synchronous when known, one lookup when new. */
  find(hash: string): KeyRecord | undefined | Promise<KeyRecord | undefined> {
    const known = this.byHash.get(hash);
    if (known) return known;
    const unknownUntil = this.unknown.get(hash);
    if (unknownUntil !== undefined && unknownUntil > Date.now()) return undefined;
    let lookup = this.pending.get(hash);
    if (!lookup) {
      lookup = this.source
        .findByHash(hash)
        .then(async (row) => {
          if (!row) {
            this.pending.delete(hash);
            if (this.unknown.size >= NEGATIVE_MAX) this.unknown.clear();
            this.unknown.set(hash, Date.now() + NEGATIVE_TTL_MS);
            return undefined;
          }
          const record = toKeyRecord(row);
          await this.onDiscover?.(record);
          this.pending.delete(hash);
          this.byHash.set(hash, record);
          return record;
        })
        .catch((error: unknown) => {
          this.pending.delete(hash);
          throw error;
        });
      this.pending.set(hash, lookup);
    }
    return lookup;
  }

  /** Applies a change made by this process at once (admin API), without waiting for the refresh. */
  upsert(hash: string, record: KeyRecord): void {
    this.byHash.set(hash, record);
    this.unknown.delete(hash);
  }

  markDisabled(id: string): void {
    for (const record of this.byHash.values()) if (record.id === id) record.disabled = true;
  }
}
