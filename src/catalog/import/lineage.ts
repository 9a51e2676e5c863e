/**
 * `agora lineage import FILE|URL`: Hub model infos (or the model-tree sample) → lineage rows → the
 * store. Every model read becomes a node (its facts when it has them); every base it names becomes
 * an edge, and a node of its own (id only) when the input has no info for it. The edge rule is
 * hf-hub.ts's; what an import changes, and what it leaves alone, is the store's (repos/lineage.ts).
 */
import type { LineageEdgeRow, LineageImportOptions, LineageImportReport, LineageNodeRow } from '../../store/repos/lineage.js';
import { readHubModels, type BaseSource, type HubFetchOptions, type HubModel } from './hf-hub.js';

/** The evidence bit of each source (lineage_edges.evidence). */
export const EVIDENCE: Record<BaseSource, number> = { tags: 1, parent: 2, card: 4 };

/** Decodes an evidence bit set into its sources. */
export function evidenceSources(bits: number): BaseSource[] {
  return (Object.entries(EVIDENCE) as Array<[BaseSource, number]>).filter(([, bit]) => (bits & bit) !== 0).map(([source]) => source);
}

function epoch(value: string | null): number | null {
  if (value === null) return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? time : null;
}

function authorOf(id: string): string | null {
  const slash = id.indexOf('/');
  return slash > 0 ? id.slice(0, slash) : null;
}

function nodeRow(model: HubModel): LineageNodeRow {
  return {
    key: model.id.toLowerCase(),
    id: model.id,
    author: model.author,
    downloads: model.downloads,
    likes: model.likes,
    created_at: epoch(model.createdAt),
    last_modified: epoch(model.lastModified),
    pipeline_tag: model.pipelineTag,
    library: model.libraryName,
    license: model.license,
    gated: model.gated === null ? null : String(model.gated),
    parameters: model.parameters,
    known: model.known ? 1 : 0,
  };
}

/** Models → node and edge rows (one edge per (child, parent, relation), evidence bits united). */
export function lineageRows(models: readonly HubModel[]): { nodes: LineageNodeRow[]; edges: LineageEdgeRow[] } {
  const nodes = new Map<string, LineageNodeRow>();
  for (const model of models) nodes.set(model.id.toLowerCase(), nodeRow(model));
  const edges = new Map<string, LineageEdgeRow>();
  for (const model of models) {
    const child = model.id.toLowerCase();
    for (const base of model.bases) {
      const parent = base.id.toLowerCase();
      if (parent === child) continue;
      if (!nodes.has(parent)) {
        nodes.set(parent, {
          key: parent,
          id: base.id,
          author: authorOf(base.id),
          downloads: null,
          likes: null,
          created_at: null,
          last_modified: null,
          pipeline_tag: null,
          library: null,
          license: null,
          gated: null,
          parameters: null,
          known: 0,
        });
      }
      const bits = base.sources.reduce((sum, source) => sum | EVIDENCE[source], 0);
      const key = `${child}\n${parent}\n${base.relation}`;
      const existing = edges.get(key);
      edges.set(key, { child, parent, relation: base.relation, evidence: (existing?.evidence ?? 0) | bits });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** What the import writes to: the store's LineageRepo. */
export interface LineageSink {
  import(batch: { nodes: LineageNodeRow[]; edges: LineageEdgeRow[] }, options?: LineageImportOptions): Promise<LineageImportReport>;
}

export interface LineageImportResult {
  report: LineageImportReport;
  /** Models read from the input, infos skipped (no valid id), pages fetched. */
  read: { models: number; skipped: number; pages: number };
}

/** Reads `source` (a file or URL) and imports it. */
export async function importLineage(
  sink: LineageSink,
  source: string,
  options: LineageImportOptions & { hub?: HubFetchOptions } = {},
): Promise<LineageImportResult> {
  const read = await readHubModels(source, options.hub);
  const report = await sink.import(lineageRows(read.models), options);
  return { report, read: { models: read.models.length, skipped: read.skipped, pages: read.pages } };
}
