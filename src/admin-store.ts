/**
 * The narrow view of the store that admin and record routes use (never the model-call path).
 * Implemented in main.ts over the store's repositories: routes read row *types* from store/repos
 * to render them, but run no SQL of their own — every query is one of these methods.
 */
import type { GenerationRow } from './store/repos/generations.js';
import type { AccountRow, ApiKeyRow, KeyChanges, NewKey } from './store/repos/api-keys.js';
import type { NewLedgerEntry } from './store/repos/ledger.js';
import type { RankingsSource } from './rankings/query.js';
import type { PoliciesRepo } from './store/repos/policies.js';
import type { CatalogEntryRow } from './store/repos/catalog.js';

export interface UsageQuery {
  keyId: string | undefined;
  from: number;
  to: number;
  limit: number;
}

export interface AdminStore {
  findGeneration(id: string): Promise<GenerationRow | undefined>;
  listGenerations(query: UsageQuery): Promise<GenerationRow[]>;
  listKeys(): Promise<ApiKeyRow[]>;
  findKey(id: string): Promise<ApiKeyRow | undefined>;
  createKey(input: NewKey): Promise<{ row: ApiKeyRow; key: string }>;
  updateKey(id: string, changes: KeyChanges): Promise<ApiKeyRow | undefined>;
  disableKey(id: string): Promise<boolean>;
  findAccount(id: string): Promise<AccountRow | undefined>;
  /** Posts one ledger entry; false when its idempotency key was used before. */
  postLedgerEntry(entry: NewLedgerEntry): Promise<boolean>;
  accountTotals(accountId: string): Promise<{ credits: number; usage: number }>;
  /** The usage rollups rankings read (never the raw records). */
  rollups: RankingsSource;
  /** Policies written through the admin API, and the audit log. */
  policies: Pick<PoliciesRepo, 'all' | 'put' | 'remove' | 'listAudit'>;
  /** The synced catalog's rows of one source (the admin layer holds facts set through the API). */
  catalogEntries(source: string): Promise<CatalogEntryRow[]>;
  putCatalogEntry(row: CatalogEntryRow): Promise<void>;
}
