/**
 * Leaderboard (#/leaderboard): GET /api/v1/leaderboard (any key). The Agora index against blended
 * price (the answer's `chart` points), or against speed or time to first token; the table of index,
 * per-suite scores with their 95% intervals, price, speed and the nearest base model's index; and
 * each host's verification.
 */
import { useMemo, useState } from 'react';
import { api, type LeaderboardAnswer, type LeaderboardEntry } from '../api.js';
import { Chart, type ChartOption } from '../chart.js';
import { Empty, Loading, Show, useApi } from '../ui.js';
import { cssColor, escapeHtml } from './ModelsLineage.js';
import { Verification } from './ModelsDetail.js';
import type { PageProps } from './props.js';

type Axis = 'price' | 'speed' | 'ttft';

const AXES: Record<Axis, { label: string; name: string; unit: (value: number) => string }> = {
  price: { label: 'Blended price', name: 'Blended price, USD per 1M tokens (3 in : 1 out)', unit: (value) => `$${value.toFixed(2)}/1M` },
  speed: { label: 'Output speed', name: 'Median output tokens per second', unit: (value) => `${value.toFixed(0)} tok/s` },
  ttft: { label: 'Time to first token', name: 'Median time to first token, ms', unit: (value) => `${value.toFixed(0)} ms` },
};

interface Point {
  model: string;
  index: number;
  x: number;
}

function points(answer: LeaderboardAnswer, axis: Axis): Point[] {
  if (axis === 'price') return answer.chart.map((point) => ({ model: point.model, index: point.index, x: point.blended_price }));
  return answer.data.flatMap((row) => {
    const x = axis === 'speed' ? row.median_output_tps : row.median_ttft_ms;
    return row.index === null || x === null ? [] : [{ model: row.model, index: row.index, x }];
  });
}

function scatterOption(data: Point[], axis: Axis): ChartOption {
  const fg = cssColor('--fg', '#1b1d23');
  const muted = cssColor('--muted', '#5d6270');
  const accent = cssColor('--accent', '#3451b2');
  const xs = data.map((point) => point.x);
  // A log scale when prices (or speeds) span more than 20×, and none is zero.
  const log = xs.length > 1 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > 20;
  const spec = AXES[axis];
  return {
    tooltip: {
      trigger: 'item',
      formatter: (params: { data: { name: string; value: [number, number] } }) =>
        `<strong>${escapeHtml(params.data.name)}</strong><br/>index ${params.data.value[1]}<br/>${escapeHtml(spec.unit(params.data.value[0]))}`,
    },
    grid: { left: 16, right: 72, top: 36, bottom: 40 },
    xAxis: {
      type: log ? 'log' : 'value',
      name: spec.name + (log ? ' (log scale)' : ''),
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: { color: muted },
      axisLabel: { color: muted },
      scale: !log,
    },
    yAxis: { type: 'value', name: 'Agora index (0–100)', nameTextStyle: { color: muted }, axisLabel: { color: muted }, min: 0, max: 100 },
    series: [
      {
        type: 'scatter',
        symbolSize: 12,
        itemStyle: { color: accent },
        label: { show: true, position: 'right', formatter: '{b}', color: fg, fontSize: 11 },
        labelLayout: { hideOverlap: true },
        data: data.map((point) => ({ name: point.model, value: [point.x, point.index] })),
      },
    ],
  };
}

function ScoreChart({ answer }: { answer: LeaderboardAnswer }) {
  const [axis, setAxis] = useState<Axis>('price');
  const data = useMemo(() => points(answer, axis), [answer, axis]);
  const option = useMemo(() => scatterOption(data, axis), [data, axis]);
  return (
    <section aria-labelledby="leaderboard-chart">
      <h2 id="leaderboard-chart">Index against {AXES[axis].label.toLowerCase()}</h2>
      <fieldset className="filters" style={{ border: 0, padding: 0, margin: '0 0 0.5rem' }}>
        <legend className="sr-only">Horizontal axis</legend>
        {(Object.keys(AXES) as Axis[]).map((name) => (
          <label key={name} style={{ flexDirection: 'row', alignItems: 'center', color: 'var(--fg)', fontSize: '0.92rem' }}>
            <input type="radio" name="leaderboard-axis" value={name} checked={axis === name} onChange={() => setAxis(name)} />{' '}
            {AXES[name].label}
          </label>
        ))}
      </fieldset>
      {data.length === 0 ? (
        <Empty>
          {axis === 'price'
            ? 'No model has both an index and a price at an enabled host yet.'
            : 'No speed probes in the last 7 days: run agora bench probe --model ID.'}
        </Empty>
      ) : (
        <>
          <Chart
            option={option}
            height={360}
            label={`Scatter chart: Agora index against ${AXES[axis].label.toLowerCase()}, one point per model`}
          />
          <details>
            <summary>Data</summary>
            <div className="table-wrap">
              <table>
                <caption className="sr-only">The chart's points</caption>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Index</th>
                    <th scope="col">{AXES[axis].label}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((point) => (
                    <tr key={point.model}>
                      <td>{point.model}</td>
                      <td>{point.index}</td>
                      <td>{AXES[axis].unit(point.x)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

function LeaderboardTable({ rows, suites }: { rows: LeaderboardEntry[]; suites: string[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="leaderboard-table">
        <caption className="sr-only">Leaderboard: index, suite scores with 95% intervals, price, speed and base model</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Model</th>
            <th scope="col">Index (coverage)</th>
            {suites.map((suite) => (
              <th key={suite} scope="col">
                {suite} <span style={{ fontWeight: 400 }}>[95% CI]</span>
              </th>
            ))}
            <th scope="col">Blended $/1M</th>
            <th scope="col">Speed</th>
            <th scope="col">TTFT</th>
            <th scope="col">Base model (its index)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, rank) => (
            <tr key={row.model}>
              <td>{row.index === null ? '–' : rank + 1}</td>
              <th scope="row" style={{ fontWeight: 400, color: 'inherit' }}>
                <a href={`#/models/${row.model}`}>{row.model}</a>
              </th>
              <td>
                <strong>{row.index ?? '–'}</strong>
                {row.index !== null ? <span style={{ color: 'var(--muted)' }}> ({Math.round(row.coverage * 100)}%)</span> : null}
              </td>
              {suites.map((suite) => {
                const score = row.suites[suite];
                return (
                  <td key={suite} title={score ? `${score.n} items, run ${score.run_id}, finished ${score.finished_at}` : undefined}>
                    {score ? (
                      <>
                        {score.score.toFixed(1)}{' '}
                        <span style={{ color: 'var(--muted)' }}>
                          [{score.ci_low.toFixed(1)}–{score.ci_high.toFixed(1)}] n={score.n}
                        </span>
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                );
              })}
              <td>
                {row.blended_price === null ? '–' : `$${row.blended_price.toFixed(2)}`}
                {row.cheapest_provider ? <span style={{ color: 'var(--muted)' }}> at {row.cheapest_provider}</span> : null}
              </td>
              <td>{row.median_output_tps === null ? '–' : `${row.median_output_tps} tok/s`}</td>
              <td>{row.median_ttft_ms === null ? '–' : `${row.median_ttft_ms} ms`}</td>
              <td>
                {row.base ? (
                  <>
                    <a href={`#/models/${row.base.model}`}>{row.base.model}</a>{' '}
                    <span style={{ color: 'var(--muted)' }}>{row.base.relation}</span> ({row.base.index ?? '–'})
                  </>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Verifications({ rows }: { rows: LeaderboardEntry[] }) {
  const hosts = rows.flatMap((row) => row.hosts.map((host) => ({ model: row.model, ...host })));
  const checked = hosts.filter((host) => host.verification !== null);
  if (hosts.length === 0) return <Empty>No ranked model has a host in the catalog.</Empty>;
  return (
    <>
      <p style={{ color: 'var(--muted)' }}>
        {checked.length} of {hosts.length} hosts checked against a reference host; <code>agora bench verify --model ID</code> checks a
        model's hosts, and{' '}
        <code>
          provider: {'{'} verified: true {'}'}
        </code>{' '}
        routes only to those that passed.
      </p>
      <div className="table-wrap">
        <table data-testid="verification-table">
          <caption className="sr-only">Host verification per model</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Host</th>
              <th scope="col">Verification</th>
            </tr>
          </thead>
          <tbody>
            {hosts.map((host) => (
              <tr key={`${host.model} ${host.provider}`}>
                <td>
                  <a href={`#/models/${host.model}`}>{host.model}</a>
                </td>
                <td>{host.provider}</td>
                <td>
                  <Verification verification={host.verification} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Board({ answer }: { answer: LeaderboardAnswer }) {
  const suites = useMemo(() => {
    const names = new Set(answer.data.flatMap((row) => Object.keys(row.suites)));
    const weights = answer.index.weights;
    // The index's suites first, by weight, then any others by name.
    return [...names].sort((left, right) => (weights[right] ?? 0) - (weights[left] ?? 0) || left.localeCompare(right));
  }, [answer]);
  if (answer.data.length === 0)
    return (
      <Empty>
        <strong>No benchmark runs yet.</strong> Run a suite through the gateway, for example
        <pre>agora bench run --suite gsm8k --model ID --limit 50</pre>(<code>agora bench suites</code> lists the suites;{' '}
        <code>agora bench probe --model ID</code> measures speed). Finished runs show here.
      </Empty>
    );
  const weights = Object.entries(answer.index.weights)
    .map(([suite, weight]) => `${suite} ${weight}`)
    .join(', ');
  return (
    <>
      <ScoreChart answer={answer} />
      <h2>Models</h2>
      <p style={{ color: 'var(--muted)', maxWidth: '80ch' }}>
        The Agora index ({answer.index.scale}) is a weighted mean of the suite scores present (weights {weights}; any other suite{' '}
        {answer.index.other_suite_weight}); coverage is the share of the weights present: {answer.index.note}.
      </p>
      <LeaderboardTable rows={answer.data} suites={suites} />
      <h2>Host verification</h2>
      <Verifications rows={answer.data} />
    </>
  );
}

export default function Leaderboard({ signedIn }: PageProps) {
  const loaded = useApi(() => (signedIn ? api<LeaderboardAnswer>('/api/v1/leaderboard') : Promise.resolve(null)), [signedIn]);
  return (
    <>
      <h1>Leaderboard</h1>
      {!signedIn ? (
        <Empty>
          <strong>Sign in to see the leaderboard.</strong> Any key may read it: paste one into the API key field at the top of the page.
        </Empty>
      ) : (
        <Show loaded={loaded} what="the leaderboard">
          {(answer) => (answer && !loaded.loading ? <Board answer={answer} /> : <Loading what="the leaderboard" />)}
        </Show>
      )}
    </>
  );
}
