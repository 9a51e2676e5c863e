/**
 * The synced catalog: catalog documents (the config file's `authors`, `providers` and `models`
 * sections) as rows of the store, one per entry and source, and back. A sync compares an import's
 * rows with what that source stored before and writes only the difference, so running it twice
 * changes nothing the second time.
 *
 * Layers, lowest first: the bundled catalog, then the synced sources in SOURCE_ORDER (LiteLLM's
 * prices, OpenRouter's list, Hugging Face facts: a later source's fact wins), then the config file.
 * A provider's governance facts set through the admin API (source `admin`) win over all of them.
 */
import { layer, type RawCatalog } from '../config/load.js';
import type { CatalogEntryKey, CatalogEntryRow } from '../store/repos/catalog.js';

export const CATALOG_SOURCES = ['litellm', 'openrouter', 'hf'] as const;
export type CatalogSource = (typeof CATALOG_SOURCES)[number];
/** Facts set through the admin API (`PATCH /api/v1/providers/{id}`): above every sync, under the config file. */
export const ADMIN_SOURCE = 'admin';

export type EntryKind = 'author' | 'provider' | 'model' | 'endpoint';

export interface CatalogEntry {
  kind: EntryKind;
  id: string;
  /** The entry in the config file's shape. */
  body: Record<string, unknown>;
}

/** A document's entries: a model's facts apart from its endpoints, each endpoint its own entry (`model@provider`). */
export function toEntries(document: RawCatalog): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const [id, body] of Object.entries(document.authors ?? {})) entries.push({ kind: 'author', id, body: { ...body } });
  for (const [id, body] of Object.entries(document.providers ?? {})) entries.push({ kind: 'provider', id, body: { ...body } });
  for (const [id, model] of Object.entries(document.models ?? {})) {
    const { endpoints, ...facts } = model;
    if (Object.keys(facts).length > 0 || (endpoints ?? []).length === 0) entries.push({ kind: 'model', id, body: facts });
    for (const endpoint of endpoints ?? [])
      entries.push({ kind: 'endpoint', id: `${id}@${String(endpoint.provider)}`, body: { ...endpoint } });
  }
  return entries;
}

/** The stored rows as one document: each source's entries, layered in SOURCE_ORDER. */
export function fromRows(rows: readonly CatalogEntryRow[]): RawCatalog | undefined {
  let document: RawCatalog | undefined;
  for (const source of CATALOG_SOURCES) {
    const own = rows.filter((row) => row.source === source);
    if (own.length === 0) continue;
    const part: Required<RawCatalog> = { authors: {}, providers: {}, models: {} };
    const modelOf = (id: string): NonNullable<RawCatalog['models']>[string] => (part.models[id] ??= {});
    for (const row of own) {
      const body = JSON.parse(row.body) as Record<string, unknown>;
      if (row.kind === 'author') part.authors[row.id] = body;
      else if (row.kind === 'provider') part.providers[row.id] = body;
      else if (row.kind === 'model') Object.assign(modelOf(row.id), body);
      else if (row.kind === 'endpoint') {
        const model = modelOf(row.id.slice(0, row.id.lastIndexOf('@')));
        (model.endpoints ??= []).push(body);
      }
    }
    // A model whose source lists no endpoint for it still gets an empty list, so it is listed (not servable).
    for (const model of Object.values(part.models)) model.endpoints ??= [];
    document = layer(document, part);
  }
  // Provider facts set through the admin API ride along apart: they win over the config file too.
  const admin = rows.filter((row) => row.source === ADMIN_SOURCE && row.kind === 'provider');
  if (admin.length > 0) {
    const facts = Object.fromEntries(admin.map((row) => [row.id, JSON.parse(row.body) as Record<string, unknown>]));
    document = { ...(document ?? {}), provider_facts: facts } as RawCatalog;
  }
  return document;
}

export interface SyncPlan {
  added: CatalogEntry[];
  /** With what the entry was before. */
  changed: Array<CatalogEntry & { previous: Record<string, unknown> }>;
  unchanged: CatalogEntry[];
  /** Stored by an earlier sync of this source, not in this import: kept unless pruned. */
  stale: CatalogEntryKey[];
}

/** Canonical JSON (sorted keys) so a re-import compares equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([left], [right]) => (left < right ? -1 : 1)))
      : item,
  );
}

export function planSync(source: CatalogSource, entries: readonly CatalogEntry[], stored: readonly CatalogEntryRow[]): SyncPlan {
  const before = new Map(stored.filter((row) => row.source === source).map((row) => [`${row.kind} ${row.id}`, row.body]));
  const plan: SyncPlan = { added: [], changed: [], unchanged: [], stale: [] };
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = `${entry.kind} ${entry.id}`;
    seen.add(key);
    const previous = before.get(key);
    if (previous === undefined) plan.added.push(entry);
    else if (previous === canonicalJson(entry.body)) plan.unchanged.push(entry);
    else plan.changed.push({ ...entry, previous: JSON.parse(previous) as Record<string, unknown> });
  }
  for (const row of stored) {
    if (row.source === source && !seen.has(`${row.kind} ${row.id}`)) plan.stale.push({ source, kind: row.kind, id: row.id });
  }
  return plan;
}

/** The rows a plan writes. */
export function rowsOf(source: CatalogSource, plan: SyncPlan, now = Date.now()): CatalogEntryRow[] {
  return [...plan.added, ...plan.changed].map((entry: CatalogEntry) => ({
    source,
    kind: entry.kind,
    id: entry.id,
    body: canonicalJson(entry.body),
    updated_at: now,
  }));
}

/** What changed in an entry, field by field (nested fields dotted), as `field: old → new`. */
export function describeChange(previous: unknown, next: unknown, path = ''): string[] {
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  if (isRecord(previous) && isRecord(next)) {
    const keys = [...new Set([...Object.keys(previous), ...Object.keys(next)])].sort();
    return keys.flatMap((key) => describeChange(previous[key], next[key], path ? `${path}.${key}` : key));
  }
  if (canonicalJson(previous) === canonicalJson(next)) return [];
  const show = (value: unknown): string => (value === undefined ? '(none)' : (canonicalJson(value) ?? '').slice(0, 60));
  return [`${path}: ${show(previous)} → ${show(next)}`];
}
