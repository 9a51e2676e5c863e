/**
 * One `agora models sync`: an import's document → entries → a plan against what the same source
 * stored before (added, changed, unchanged, stale) → one transaction, unless it is a dry run. Before
 * anything is written, the catalog the gateway would build from the result is loaded once, so a
 * sync can never leave a catalog a gateway refuses.
 */
import { catalogDocumentSchema } from '../config/schema.js';
import type { ResolvedConfig } from '../config/types.js';
import type { CatalogRepo, CatalogEntryRow } from '../store/repos/catalog.js';
import type { ImportResult } from './import/types.js';
import { fromRows, planSync, rowsOf, toEntries, type SyncPlan } from './synced.js';

export interface SyncOptions {
  dryRun: boolean;
  /** Remove entries an earlier sync of this source stored that this import no longer has. */
  prune: boolean;
  /** The configuration with a given synced catalog merged in (throws when it does not load). */
  rebuild: (synced: unknown) => ResolvedConfig;
}

export interface SyncOutcome {
  plan: SyncPlan;
  /** The synced catalog's version after the sync (unchanged on a dry run or when nothing changed). */
  version: number;
  written: boolean;
  /** The catalog as the gateway will see it after the sync. */
  config: ResolvedConfig;
}

export async function sync(repo: CatalogRepo, result: ImportResult, options: SyncOptions): Promise<SyncOutcome> {
  const checked = catalogDocumentSchema.safeParse(result.document);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`the ${result.source} import produced an invalid entry at ${issue.path.join('.')}: ${issue.message}`);
  }
  const stored = await repo.all();
  const plan = planSync(result.source, toEntries(result.document), stored);
  const upserts = rowsOf(result.source, plan);
  const removed = options.prune ? plan.stale : [];
  const key = (row: Pick<CatalogEntryRow, 'source' | 'kind' | 'id'>): string => `${row.source} ${row.kind} ${row.id}`;
  const replaced = new Set([...upserts.map(key), ...removed.map(key)]);
  const after = [...stored.filter((row) => !replaced.has(key(row))), ...upserts];
  const config = options.rebuild(fromRows(after));
  const changes = upserts.length + removed.length;
  if (options.dryRun || changes === 0) return { plan, version: await repo.version(), written: false, config };
  const version = await repo.apply(upserts, removed);
  return { plan, version, written: true, config };
}
