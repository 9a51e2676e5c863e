/**
 * A lineage tree (GET /api/v1/lineage/{id}): the model's chain of bases above it and its derivatives
 * below, drawn as an ECharts tree with the same nodes in a data table beside it. Shared by a model's
 * page and the Ecosystem page's family tree.
 */
import { useMemo, type ReactNode } from 'react';
import { ApiError, api, idPath, type LineageAnswer, type LineageView } from '../api.js';
import { Chart, type ChartOption } from '../chart.js';
import { Empty, ErrorBox, Loading, Table, count, useApi } from '../ui.js';

type BaseEntry = LineageView['bases'][number];
type TreeEntry = LineageView['tree'];

interface TreeDatum {
  name: string;
  value?: string;
  children?: TreeDatum[];
  itemStyle?: { color: string; borderColor?: string };
  symbolSize?: number;
  label?: { fontWeight?: 'bold'; color?: string };
}

/** Colours the canvas cannot read from CSS on its own. */
export function cssColor(name: string, fallback: string): string {
  const value = typeof window === 'undefined' ? '' : getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** Escapes text put into an ECharts tooltip (rendered as HTML). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const SERVED = '#1e7b34';

function derivativeNodes(entry: TreeEntry, muted: string, accent: string, top: boolean): TreeDatum {
  const children = entry.children.map((child) => derivativeNodes(child, muted, accent, false));
  if (entry.more > 0)
    children.push({ name: `+${count(entry.more)} more`, itemStyle: { color: muted }, symbolSize: 4, label: { color: muted } });
  const served = entry.agora_models.length > 0;
  return {
    name: entry.id,
    value: [
      entry.relation ?? 'this model',
      entry.downloads !== null ? `${count(entry.downloads)} downloads` : null,
      served ? `served as ${entry.agora_models.join(', ')}` : null,
    ]
      .filter(Boolean)
      .join(' · '),
    children,
    ...(top
      ? { itemStyle: { color: accent }, symbolSize: 12, label: { fontWeight: 'bold' as const } }
      : served
        ? { itemStyle: { color: SERVED } }
        : {}),
  };
}

/** The tree's root: the nearest chain of first bases up to a family root, then the model and its derivatives. */
function treeData(view: LineageView): TreeDatum {
  const muted = cssColor('--muted', '#5d6270');
  const accent = cssColor('--accent', '#3451b2');
  let node = derivativeNodes(view.tree, muted, accent, true);
  let bases: BaseEntry[] = view.bases;
  let relation = view.bases[0]?.relation;
  while (bases.length > 0) {
    const [first, ...others] = bases as [BaseEntry, ...BaseEntry[]];
    const label = `${relation ?? first.relation} of ${first.id}`;
    node.value = node.value ? `${node.value} · ${label}` : label;
    const parent: TreeDatum = {
      name: first.id,
      value: [
        first.downloads !== null ? `${count(first.downloads)} downloads` : null,
        first.agora_models.length > 0 ? `served as ${first.agora_models.join(', ')}` : null,
      ]
        .filter(Boolean)
        .join(' · '),
      children: [node],
      ...(first.agora_models.length > 0 ? { itemStyle: { color: SERVED } } : {}),
    };
    // Other bases (a merge) hang beside the model, marked as bases.
    for (const other of others) parent.children!.push({ name: `${other.id} (also a base)`, itemStyle: { color: muted }, symbolSize: 6 });
    node = parent;
    relation = first.bases[0]?.relation;
    bases = first.bases;
  }
  return node;
}

function leaves(node: TreeDatum): number {
  return node.children && node.children.length > 0 ? node.children.reduce((sum, child) => sum + leaves(child), 0) : 1;
}

function levels(node: TreeDatum): number {
  return 1 + Math.max(0, ...(node.children ?? []).map(levels));
}

export function lineageOption(view: LineageView): { option: ChartOption; height: number } {
  const root = treeData(view);
  const fg = cssColor('--fg', '#1b1d23');
  const depth = levels(root);
  // Narrow screens: shorter labels, margins in pixels so the root's label stays on the canvas.
  const narrow = typeof window !== 'undefined' && window.innerWidth < 640;
  return {
    height: Math.min(1400, Math.max(220, leaves(root) * 22 + 40)),
    option: {
      tooltip: {
        trigger: 'item',
        formatter: (params: { name: string; value?: string }) =>
          `<strong>${escapeHtml(params.name)}</strong>${params.value ? `<br/>${escapeHtml(String(params.value))}` : ''}`,
      },
      series: [
        {
          type: 'tree',
          data: [root],
          orient: 'LR',
          top: 12,
          bottom: 12,
          left: narrow ? 96 : depth > 2 ? '14%' : '22%',
          right: narrow ? 120 : '24%',
          symbolSize: 8,
          initialTreeDepth: -1,
          expandAndCollapse: false,
          roam: false,
          label: {
            position: 'left',
            verticalAlign: 'middle',
            align: 'right',
            fontSize: 11,
            color: fg,
            width: narrow ? 90 : 180,
            overflow: 'truncate',
          },
          leaves: { label: { position: 'right', verticalAlign: 'middle', align: 'left', width: narrow ? 115 : 220, overflow: 'truncate' } },
          lineStyle: { width: 1 },
          animationDuration: 300,
          animationDurationUpdate: 300,
        },
      ],
    },
  };
}

const hf = (id: string) => (
  <a href={`https://huggingface.co/${idPath(id)}`} target="_blank" rel="noreferrer noopener">
    {id}
  </a>
);

const served = (models: string[]) =>
  models.length === 0
    ? '–'
    : models.map((model, index) => (
        <span key={model}>
          {index > 0 ? ', ' : null}
          <a href={`#/models/${model}`}>{model}</a>
        </span>
      ));

function treeRows(entry: TreeEntry, rows: ReactNode[][]): void {
  for (const child of entry.children) {
    rows.push([
      `derivative (depth ${child.depth})`,
      child.relation ?? '–',
      hf(child.id),
      count(child.downloads),
      served(child.agora_models),
    ]);
    treeRows(child, rows);
  }
}

/** The nodes of the tree as a table: bases (nearest first), the model, then derivatives. */
export function LineageTable({ view }: { view: LineageView }) {
  const rows: ReactNode[][] = [];
  const walk = (bases: BaseEntry[], up: number) => {
    for (const base of bases) {
      rows.push([`base (${up} up)`, base.relation, hf(base.id), count(base.downloads), served(base.agora_models)]);
      walk(base.bases, up + 1);
    }
  };
  walk(view.bases, 1);
  rows.push(['this model', '–', hf(view.node.id), count(view.node.downloads), served(view.node.agora_models)]);
  treeRows(view.tree, rows);
  return (
    <Table head={['Place', 'Relation', 'Hugging Face id', 'Downloads', 'Served as']} rows={rows} caption={`Lineage of ${view.node.id}`} />
  );
}

/** Derivative counts by kind as small badges. */
export function KindCounts({ byKind }: { byKind: Record<string, number> }) {
  return (
    <span>
      {Object.entries(byKind).map(([kind, value]) => (
        <span key={kind} className="badge" style={{ marginRight: '0.3rem' }}>
          {kind} {count(value)}
        </span>
      ))}
    </span>
  );
}

/** Loads and draws one lineage tree; a 404 is a friendly "not in the graph" state, never an error. */
export function LineageSection({ id, label }: { id: string; label: string }) {
  const loaded = useApi(() => api<LineageAnswer>(`/api/v1/lineage/${idPath(id)}?depth=2&limit=40&top=10`), [id]);
  const chart = useMemo(() => (loaded.data ? lineageOption(loaded.data.data) : undefined), [loaded.data]);
  if (loaded.error instanceof ApiError && loaded.error.status === 404)
    return (
      <Empty>
        <strong>{label} is not in the lineage graph.</strong> {loaded.error.message.replace(/`/g, '')} Import lineage from a Hugging Face
        export with <code>agora lineage import FILE|URL</code>.
      </Empty>
    );
  if (loaded.error) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  if (!loaded.data || !chart) return <Loading what="lineage" />;
  const view = loaded.data.data;
  return (
    <div>
      <p>
        <a href={`https://huggingface.co/${idPath(view.node.id)}`} target="_blank" rel="noreferrer noopener">
          {view.node.id}
        </a>
        : {count(view.derivatives.total)} derivatives <KindCounts byKind={view.derivatives.by_kind} />
        {view.families.some((family) => family.root !== view.node.id) ? (
          <>
            {' '}
            · family of{' '}
            {view.families.map((family, index) => (
              <span key={family.root}>
                {index > 0 ? ', ' : null}
                <a href={`#/ecosystem/${family.root}`}>{family.root}</a>
              </span>
            ))}
          </>
        ) : null}
      </p>
      <Chart
        option={chart.option}
        height={chart.height}
        label={`Lineage tree of ${view.node.id}: bases to the left, derivatives to the right`}
      />
      {view.tree_truncated ? (
        <p style={{ color: 'var(--muted)' }}>The tree shows the first {view.tree_nodes} derivatives; counts above are complete.</p>
      ) : null}
      <details>
        <summary>Data</summary>
        <LineageTable view={view} />
      </details>
    </div>
  );
}
