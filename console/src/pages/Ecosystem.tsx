/**
 * Ecosystem (#/ecosystem[/{root id}]): lineage families compared (GET /api/v1/lineage/families:
 * derivatives by kind, stacked per family root) and one family's tree (GET /api/v1/lineage/{root}).
 * The chosen family lives in the URL, so every family is a real link.
 */
import { useMemo, useState } from 'react';
import { api, type FamiliesAnswer, type FamilyView } from '../api.js';
import { Chart, type ChartOption } from '../chart.js';
import { Empty, Show, count, useApi } from '../ui.js';
import { LineageSection, cssColor } from './ModelsLineage.js';
import type { PageProps } from './props.js';

const KINDS = ['finetune', 'adapter', 'quantized', 'merge'] as const;
const COLORS: Record<(typeof KINDS)[number], string> = { finetune: '#3451b2', adapter: '#e08a1e', quantized: '#2a9d8f', merge: '#b54aa8' };
const SORTS = ['total', 'finetune', 'adapter', 'quantized', 'merge', 'downloads', 'depth', 'root'] as const;
type Sort = (typeof SORTS)[number];
const SHOWN = 20;

function familiesOption(families: FamilyView[]): ChartOption {
  const fg = cssColor('--fg', '#1b1d23');
  const muted = cssColor('--muted', '#5d6270');
  // Largest at the top: a horizontal bar chart draws its first category at the bottom.
  const shown = [...families].reverse();
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, textStyle: { color: fg } },
    grid: { left: 8, right: 16, top: 32, bottom: 8 },
    xAxis: { type: 'value', name: 'derivatives', nameTextStyle: { color: muted }, axisLabel: { color: muted } },
    yAxis: {
      type: 'category',
      data: shown.map((family) => family.root.id),
      axisLabel: { color: fg, width: 170, overflow: 'truncate', fontSize: 11 },
    },
    series: KINDS.map((kind) => ({
      name: kind,
      type: 'bar',
      stack: 'kinds',
      itemStyle: { color: COLORS[kind] },
      emphasis: { focus: 'series' },
      data: shown.map((family) => family.derivatives.by_kind[kind]),
    })),
  };
}

function FamiliesTable({ families, chosen }: { families: FamilyView[]; chosen: string | undefined }) {
  return (
    <div className="table-wrap">
      <table data-testid="families-table">
        <caption className="sr-only">Lineage families: derivatives by kind (the chart's data)</caption>
        <thead>
          <tr>
            <th scope="col">Family root</th>
            <th scope="col">Derivatives</th>
            {KINDS.map((kind) => (
              <th key={kind} scope="col">
                {kind}
              </th>
            ))}
            <th scope="col">Depth</th>
            <th scope="col">Root downloads</th>
            <th scope="col">Served as</th>
            <th scope="col">Top derivative</th>
          </tr>
        </thead>
        <tbody>
          {families.map((family) => (
            <tr
              key={family.root.id}
              aria-current={family.root.id === chosen ? 'true' : undefined}
              style={family.root.id === chosen ? { fontWeight: 600 } : undefined}
            >
              <td>
                <a href={`#/ecosystem/${family.root.id}`} title="show this family's tree">
                  {family.root.id}
                </a>
              </td>
              <td>{count(family.derivatives.total)}</td>
              {KINDS.map((kind) => (
                <td key={kind}>{count(family.derivatives.by_kind[kind])}</td>
              ))}
              <td>{family.max_depth}</td>
              <td>{count(family.root.downloads)}</td>
              <td>
                {family.root.agora_models.length === 0
                  ? '–'
                  : family.root.agora_models.map((model, index) => (
                      <span key={model}>
                        {index > 0 ? ', ' : null}
                        <a href={`#/models/${model}`}>{model}</a>
                      </span>
                    ))}
              </td>
              <td>{family.top[0] ? `${family.top[0].id} (${family.top[0].relation})` : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Families({
  answer,
  chosen,
  sort,
  setSort,
}: {
  answer: FamiliesAnswer;
  chosen: string | undefined;
  sort: Sort;
  setSort: (sort: Sort) => void;
}) {
  const option = useMemo(() => familiesOption(answer.data), [answer]);
  if (answer.total_count === 0)
    return (
      <Empty>
        <strong>No lineage imported yet.</strong> Families come from Hugging Face's model tree (base models and their finetunes, adapters,
        quantizations and merges). Import an export or the Hub's API answer with
        <pre>agora lineage import FILE|URL</pre>
        and this page fills in within seconds (a running gateway reloads the graph by itself).
      </Empty>
    );
  const family = chosen ?? answer.data[0]?.root.id;
  return (
    <>
      <p style={{ color: 'var(--muted)' }}>
        {count(answer.graph.families)} families, {count(answer.graph.nodes)} models and {count(answer.graph.edges)} relations in the lineage
        graph.
      </p>
      <div className="filters">
        <label>
          Order families by
          <select value={sort} onChange={(event) => setSort(event.target.value as Sort)}>
            {SORTS.map((name) => (
              <option key={name} value={name}>
                {name === 'depth'
                  ? 'depth'
                  : name === 'root'
                    ? 'root id'
                    : name === 'downloads'
                      ? 'derivative downloads'
                      : `${name} derivatives`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Family tree
          <select
            value={family}
            onChange={(event) => {
              window.location.hash = `#/ecosystem/${event.target.value}`;
            }}
          >
            {chosen && !answer.data.some((entry) => entry.root.id === chosen) ? <option value={chosen}>{chosen}</option> : null}
            {answer.data.map((entry) => (
              <option key={entry.root.id} value={entry.root.id}>
                {entry.root.id}
              </option>
            ))}
          </select>
        </label>
      </div>
      <h2>Families compared</h2>
      <div style={{ marginBottom: '1rem' }}>
        <Chart
          option={option}
          height={Math.max(240, answer.data.length * 26 + 60)}
          label={`Derivatives by kind (finetune, adapter, quantized, merge) for the ${answer.data.length} largest families; the table below has the numbers`}
        />
      </div>
      <FamiliesTable families={answer.data} chosen={family} />
      {answer.total_count > answer.data.length ? (
        <p style={{ color: 'var(--muted)' }}>
          Showing {answer.data.length} of {count(answer.total_count)} families; <code>agora lineage families</code> lists them all.
        </p>
      ) : null}
      {family ? (
        <>
          <h2>
            Family tree: <a href={`#/ecosystem/${family}`}>{family}</a>
          </h2>
          <LineageSection id={family} label={family} />
        </>
      ) : null}
    </>
  );
}

export default function Ecosystem({ rest }: PageProps) {
  const [sort, setSort] = useState<Sort>('total');
  const loaded = useApi(() => api<FamiliesAnswer>(`/api/v1/lineage/families?sort=${sort}&limit=${SHOWN}&top=3`), [sort]);
  return (
    <>
      <h1>Ecosystem</h1>
      <p style={{ maxWidth: '75ch' }}>
        Open-weight model families: each root model and what the community built on it — finetunes, adapters (LoRA), quantizations and
        merges — from Hugging Face's model tree.
      </p>
      <Show loaded={loaded} what="lineage families">
        {(answer) => <Families answer={answer} chosen={rest || undefined} sort={sort} setSort={setSort} />}
      </Show>
    </>
  );
}
