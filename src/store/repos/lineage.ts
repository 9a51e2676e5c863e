/**
 * The lineage graph's rows (migration 0006): nodes, edges and the version a running gateway polls.
 *
 * `import` is idempotent and reports what it did. Against the stored rows of the same keys:
 *  - a node not stored is added; a stored node is changed only by a reading with facts of its own
 *    (`known = 1`): its facts win, a fact it leaves out (null) keeps the stored value; an id-only
 *    reading (`known = 0`) never changes a stored node;
 *  - an edge (child, parent, relation) not stored is added; a stored one changes only when the new
 *    reading adds evidence bits;
 *  - nothing is deleted: an import adds and updates (start from a fresh database to drop edges).
 * Rows are read in chunks and written in one transaction (prepared multi-row upserts on SQLite,
 * multi-row `insert … on conflict do update` on PostgreSQL); a dry run reads and reports only.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Selectable, type Transaction } from '../kysely.js';
import type { Database, LineageEdgesTable, LineageNodesTable } from '../database.js';
import { inTransaction, placeholderRows, PreparedInsert } from '../sqlite-batch.js';

export type LineageNodeRow = Selectable<LineageNodesTable>;
export type LineageEdgeRow = Selectable<LineageEdgesTable>;

export interface ImportCounts {
  added: number;
  changed: number;
  unchanged: number;
}

export interface LineageImportReport {
  nodes: ImportCounts;
  edges: ImportCounts;
  /** A few ids of each outcome, for the report (at most 10 each). */
  examples: { addedNodes: string[]; changedNodes: string[]; addedEdges: string[]; changedEdges: string[] };
  /** The lineage version after the import (unchanged on a dry run or when nothing changed). */
  version: number;
  dryRun: boolean;
}

export interface LineageImportOptions {
  dryRun?: boolean;
  /** Progress of a long import: rows compared so far, rows written so far. */
  onProgress?: (phase: 'compare' | 'write', done: number, total: number) => void;
  now?: number;
}

export const NODE_COLUMNS = [
  'key',
  'id',
  'author',
  'downloads',
  'likes',
  'created_at',
  'last_modified',
  'pipeline_tag',
  'library',
  'license',
  'gated',
  'parameters',
  'known',
] as const satisfies ReadonlyArray<keyof LineageNodesTable>;

const FACT_COLUMNS = NODE_COLUMNS.filter((column) => column !== 'key' && column !== 'known');
const EDGE_COLUMNS = ['child', 'parent', 'relation', 'evidence'] as const satisfies ReadonlyArray<keyof LineageEdgesTable>;

/** Keys per `where … in (…)` read (SQLite allows 32,766 parameters, PostgreSQL 65,535). */
const READ_CHUNK = 2000;
/** Rows per multi-row upsert on PostgreSQL: 13 columns × 1,000 rows stays under its 65,535 parameters. */
const WRITE_CHUNK = 1000;
const EXAMPLES = 10;

/** The stored node after `incoming` is applied (see the file comment). */
export function mergeNode(stored: LineageNodeRow, incoming: LineageNodeRow): LineageNodeRow {
  if (incoming.known !== 1) return stored;
  const merged = { ...stored, known: 1, id: incoming.id } as Record<string, unknown>;
  for (const column of FACT_COLUMNS) {
    const value = incoming[column];
    if (value !== null && value !== undefined) merged[column] = value;
  }
  return merged as unknown as LineageNodeRow;
}

function sameNode(left: LineageNodeRow, right: LineageNodeRow): boolean {
  return NODE_COLUMNS.every((column) => left[column] === right[column]);
}

const edgeKey = (edge: Pick<LineageEdgeRow, 'child' | 'parent' | 'relation'>): string => `${edge.child}\n${edge.parent}\n${edge.relation}`;

/** Numbers from either driver as numbers (bigint columns are parsed to numbers on PostgreSQL; SQLite gives numbers). */
function normaliseNode(row: LineageNodeRow): LineageNodeRow {
  const out = { ...row } as Record<string, unknown>;
  for (const column of ['downloads', 'likes', 'created_at', 'last_modified', 'parameters', 'known'] as const) {
    const value = out[column];
    if (value !== null && value !== undefined) out[column] = Number(value);
  }
  return out as unknown as LineageNodeRow;
}

export class LineageRepo {
  private readonly nodeUpsert: PreparedInsert<LineageNodeRow> | undefined;
  private readonly edgeUpsert: PreparedInsert<LineageEdgeRow> | undefined;
  private readonly bump: BetterSqlite3.Statement | undefined;
  private readonly readVersion: BetterSqlite3.Statement | undefined;
  /** SQLite reads, prepared once: the whole tables, and `in (…)` lookups of READ_CHUNK keys (prepared on an import's first use). */
  private readonly sqliteReads:
    | {
        nodes: BetterSqlite3.Statement;
        edges: BetterSqlite3.Statement;
        nodesIn: () => BetterSqlite3.Statement;
        edgesIn: () => BetterSqlite3.Statement;
      }
    | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    if (sqlite) {
      this.nodeUpsert = new PreparedInsert<LineageNodeRow>(
        sqlite,
        (rows) => this.upsertNodes(db, placeholderRows<LineageNodeRow>(NODE_COLUMNS, rows)).compile(),
        NODE_COLUMNS,
      );
      this.edgeUpsert = new PreparedInsert<LineageEdgeRow>(
        sqlite,
        (rows) => this.upsertEdges(db, placeholderRows<LineageEdgeRow>(EDGE_COLUMNS, rows)).compile(),
        EDGE_COLUMNS,
      );
      const bump = this.bumpVersion(db, 0).compile();
      this.bump = sqlite.prepare(bump.sql);
      this.readVersion = sqlite.prepare(db.selectFrom('lineage_state').select('version').where('id', '=', 1).compile().sql);
      const placeholders = (): string[] => Array.from({ length: READ_CHUNK }, (_, index) => `k${index}`);
      const once = (prepare: () => BetterSqlite3.Statement): (() => BetterSqlite3.Statement) => {
        let statement: BetterSqlite3.Statement | undefined;
        return () => (statement ??= prepare());
      };
      this.sqliteReads = {
        nodes: sqlite.prepare(db.selectFrom('lineage_nodes').selectAll().compile().sql),
        edges: sqlite.prepare(db.selectFrom('lineage_edges').selectAll().compile().sql),
        // 2,000-parameter statements cost milliseconds to build and prepare: only an import needs them.
        nodesIn: once(() => sqlite.prepare(db.selectFrom('lineage_nodes').selectAll().where('key', 'in', placeholders()).compile().sql)),
        edgesIn: once(() => sqlite.prepare(db.selectFrom('lineage_edges').selectAll().where('child', 'in', placeholders()).compile().sql)),
      };
    }
  }

  private upsertNodes(db: Kysely<Database> | Transaction<Database>, rows: LineageNodeRow[]) {
    return db
      .insertInto('lineage_nodes')
      .values(rows)
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet((update) => ({
          id: update.ref('excluded.id'),
          author: update.ref('excluded.author'),
          downloads: update.ref('excluded.downloads'),
          likes: update.ref('excluded.likes'),
          created_at: update.ref('excluded.created_at'),
          last_modified: update.ref('excluded.last_modified'),
          pipeline_tag: update.ref('excluded.pipeline_tag'),
          library: update.ref('excluded.library'),
          license: update.ref('excluded.license'),
          gated: update.ref('excluded.gated'),
          parameters: update.ref('excluded.parameters'),
          known: update.ref('excluded.known'),
        })),
      );
  }

  private upsertEdges(db: Kysely<Database> | Transaction<Database>, rows: LineageEdgeRow[]) {
    return db
      .insertInto('lineage_edges')
      .values(rows)
      .onConflict((conflict) =>
        conflict.columns(['child', 'parent', 'relation']).doUpdateSet((update) => ({ evidence: update.ref('excluded.evidence') })),
      );
  }

  /** One version step (the first import creates the row at 1). */
  private bumpVersion(db: Kysely<Database> | Transaction<Database>, now: number) {
    return db
      .insertInto('lineage_state')
      .values({ id: 1, version: 1, updated_at: now })
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet((update) => ({
          version: sql<number>`lineage_state.version + 1`,
          updated_at: update.ref('excluded.updated_at'),
        })),
      );
  }

  /** 0 before the first import. */
  async version(): Promise<number> {
    const row = await this.db.selectFrom('lineage_state').select('version').where('id', '=', 1).executeTakeFirst();
    return row ? Number(row.version) : 0;
  }

  async counts(): Promise<{ nodes: number; edges: number }> {
    const [nodes, edges] = await Promise.all([
      this.db
        .selectFrom('lineage_nodes')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('lineage_edges')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return { nodes: Number(nodes.count), edges: Number(edges.count) };
  }

  /** The whole graph and the version it was read at (one read transaction, so the three agree). */
  async loadAll(): Promise<{ nodes: LineageNodeRow[]; edges: LineageEdgeRow[]; version: number }> {
    const { sqlite, sqliteReads, readVersion } = this;
    if (sqlite && sqliteReads && readVersion) {
      let result: { nodes: LineageNodeRow[]; edges: LineageEdgeRow[]; version: number } | undefined;
      // One read transaction, so nodes, edges and version agree (better-sqlite3 reads synchronously).
      const done = inTransaction(sqlite, () => {
        const state = readVersion.get([1]) as { version: number } | undefined;
        result = {
          nodes: sqliteReads.nodes.all() as LineageNodeRow[],
          edges: sqliteReads.edges.all() as LineageEdgeRow[],
          version: Number(state?.version ?? 0),
        };
      });
      if (done && result) return result;
    }
    const read = async (db: Kysely<Database> | Transaction<Database>) => {
      const state = await db.selectFrom('lineage_state').select('version').where('id', '=', 1).executeTakeFirst();
      const nodes = await db.selectFrom('lineage_nodes').selectAll().execute();
      const edges = await db.selectFrom('lineage_edges').selectAll().execute();
      return {
        nodes: nodes.map(normaliseNode),
        edges: edges.map((edge) => ({ ...edge, evidence: Number(edge.evidence) })),
        version: Number(state?.version ?? 0),
      };
    };
    // SQLite (one connection) reads a consistent snapshot statement by statement under WAL only inside a transaction.
    return this.db.transaction().execute(read);
  }

  /** Stored nodes of `keys`. */
  async findNodes(keys: readonly string[]): Promise<Map<string, LineageNodeRow>> {
    const found = new Map<string, LineageNodeRow>();
    if (this.sqliteReads) {
      for (const row of this.sqliteIn(this.sqliteReads.nodesIn(), keys) as LineageNodeRow[]) found.set(row.key, row);
      return found;
    }
    for (let start = 0; start < keys.length; start += READ_CHUNK) {
      const rows = await this.db
        .selectFrom('lineage_nodes')
        .selectAll()
        .where('key', 'in', keys.slice(start, start + READ_CHUNK))
        .execute();
      for (const row of rows) found.set(row.key, normaliseNode(row));
    }
    return found;
  }

  /** Stored edges whose child is one of `children`. */
  private async findEdges(children: readonly string[]): Promise<Map<string, LineageEdgeRow>> {
    const found = new Map<string, LineageEdgeRow>();
    if (this.sqliteReads) {
      for (const row of this.sqliteIn(this.sqliteReads.edgesIn(), children) as LineageEdgeRow[]) found.set(edgeKey(row), row);
      return found;
    }
    for (let start = 0; start < children.length; start += READ_CHUNK) {
      const rows = await this.db
        .selectFrom('lineage_edges')
        .selectAll()
        .where('child', 'in', children.slice(start, start + READ_CHUNK))
        .execute();
      for (const row of rows) found.set(edgeKey(row), { ...row, evidence: Number(row.evidence) });
    }
    return found;
  }

  /** Rows of a prepared `in (…)` of READ_CHUNK keys, for any number of keys (the last chunk padded with a repeat). */
  private sqliteIn(statement: BetterSqlite3.Statement, keys: readonly string[]): unknown[] {
    const rows: unknown[] = [];
    for (let start = 0; start < keys.length; start += READ_CHUNK) {
      const chunk = keys.slice(start, start + READ_CHUNK);
      while (chunk.length < READ_CHUNK) chunk.push(chunk[0]!);
      for (const row of statement.all(chunk)) rows.push(row);
    }
    return rows;
  }

  /** Compares `batch` with the stored rows and (unless a dry run) writes what differs. See the file comment. */
  async import(
    batch: { nodes: LineageNodeRow[]; edges: LineageEdgeRow[] },
    options: LineageImportOptions = {},
  ): Promise<LineageImportReport> {
    // Repeats inside the batch are merged first, by the same rules.
    const incomingNodes = new Map<string, LineageNodeRow>();
    for (const node of batch.nodes) {
      const existing = incomingNodes.get(node.key);
      incomingNodes.set(node.key, existing ? mergeNode(existing, node) : node);
    }
    const incomingEdges = new Map<string, LineageEdgeRow>();
    for (const edge of batch.edges) {
      if (edge.child === edge.parent) continue;
      const key = edgeKey(edge);
      const existing = incomingEdges.get(key);
      incomingEdges.set(key, existing ? { ...existing, evidence: existing.evidence | edge.evidence } : edge);
    }
    const total = incomingNodes.size + incomingEdges.size;
    const storedNodes = await this.findNodes([...incomingNodes.keys()]);
    options.onProgress?.('compare', incomingNodes.size, total);
    const storedEdges = await this.findEdges([...new Set([...incomingEdges.values()].map((edge) => edge.child))]);
    options.onProgress?.('compare', total, total);

    const report: LineageImportReport = {
      nodes: { added: 0, changed: 0, unchanged: 0 },
      edges: { added: 0, changed: 0, unchanged: 0 },
      examples: { addedNodes: [], changedNodes: [], addedEdges: [], changedEdges: [] },
      version: 0,
      dryRun: options.dryRun === true,
    };
    const nodeWrites: LineageNodeRow[] = [];
    for (const [key, node] of incomingNodes) {
      const stored = storedNodes.get(key);
      if (!stored) {
        report.nodes.added++;
        if (report.examples.addedNodes.length < EXAMPLES) report.examples.addedNodes.push(node.id);
        nodeWrites.push(node);
        continue;
      }
      const merged = mergeNode(stored, node);
      if (sameNode(merged, stored)) {
        report.nodes.unchanged++;
      } else {
        report.nodes.changed++;
        if (report.examples.changedNodes.length < EXAMPLES) report.examples.changedNodes.push(merged.id);
        nodeWrites.push(merged);
      }
    }
    const edgeWrites: LineageEdgeRow[] = [];
    const label = (edge: LineageEdgeRow): string => `${edge.parent} → ${edge.child} (${edge.relation})`;
    for (const [key, edge] of incomingEdges) {
      const stored = storedEdges.get(key);
      if (!stored) {
        report.edges.added++;
        if (report.examples.addedEdges.length < EXAMPLES) report.examples.addedEdges.push(label(edge));
        edgeWrites.push(edge);
      } else if ((stored.evidence | edge.evidence) !== stored.evidence) {
        report.edges.changed++;
        if (report.examples.changedEdges.length < EXAMPLES) report.examples.changedEdges.push(label(edge));
        edgeWrites.push({ ...edge, evidence: stored.evidence | edge.evidence });
      } else {
        report.edges.unchanged++;
      }
    }
    const writes = nodeWrites.length + edgeWrites.length;
    if (options.dryRun || writes === 0) {
      report.version = await this.version();
      return report;
    }
    report.version = await this.write(nodeWrites, edgeWrites, options.now ?? Date.now(), (done) =>
      options.onProgress?.('write', done, writes),
    );
    return report;
  }

  /** Writes the rows and steps the version, in one transaction; returns the new version. */
  private async write(nodes: LineageNodeRow[], edges: LineageEdgeRow[], now: number, progress: (done: number) => void): Promise<number> {
    const { sqlite, nodeUpsert, edgeUpsert, bump, readVersion } = this;
    if (sqlite && nodeUpsert && edgeUpsert && bump && readVersion) {
      let version = 0;
      const done = inTransaction(sqlite, () => {
        nodeUpsert.runAll(nodes);
        edgeUpsert.runAll(edges);
        bump.run([1, 1, now]);
        version = Number((readVersion.get([1]) as { version: number }).version);
      });
      if (done) {
        progress(nodes.length + edges.length);
        return version;
      }
    }
    return this.db.transaction().execute(async (trx) => {
      let written = 0;
      for (let start = 0; start < nodes.length; start += WRITE_CHUNK) {
        const chunk = nodes.slice(start, start + WRITE_CHUNK);
        await this.upsertNodes(trx, chunk).execute();
        progress((written += chunk.length));
      }
      for (let start = 0; start < edges.length; start += WRITE_CHUNK) {
        const chunk = edges.slice(start, start + WRITE_CHUNK);
        await this.upsertEdges(trx, chunk).execute();
        progress((written += chunk.length));
      }
      await this.bumpVersion(trx, now).execute();
      const state = await trx.selectFrom('lineage_state').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
      return Number(state.version);
    });
  }
}
