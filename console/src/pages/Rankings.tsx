/**
 * Rankings: the market-share view. Token (or request, or cost) share by author over time as a
 * stacked area chart, and the top authors, models and apps of the period with their share, rank and
 * change against the period before. An ordinary key sees its own account's traffic, an admin key the
 * whole gateway (the answer's `scope` says which).
 */
import { useMemo, useState, type ReactNode } from 'react';
import { api, type RankingsAnswer, type RankingRow, hasKey } from '../api.js';
import { Chart, type ChartOption } from '../chart.js';
import { Empty, Show, SignInFirst, ifSignedIn, money, change, count, percent, usd, useApi, type Loaded, TableHead } from '../ui.js';
import type { PageProps } from './props.js';
import './Rankings.css';

const PERIODS = ['day', 'week', 'month'] as const;
const METRICS = ['tokens', 'requests', 'cost'] as const;
type Period = (typeof PERIODS)[number];
type Metric = (typeof METRICS)[number];

type Row = RankingRow & { country?: string | null };
type Answer = RankingsAnswer & { scope: 'gateway' | 'account'; data: Row[] };

const PERIOD_LABEL: Record<Period, string> = { day: 'Today', week: 'This week', month: 'This month' };

function metricValue(row: RankingRow, metric: Metric): string {
  if (metric === 'cost') return usd(row.cost, 6);
  if (metric === 'requests') return count(row.requests);
  return count(row.tokens);
}

function useRankings(by: string, period: Period, metric: Metric, signedIn: boolean, series?: 'day' | 'hour'): Loaded<Answer> {
  return useApi(
    () =>
      ifSignedIn(signedIn, () => {
        const query = new URLSearchParams({ by, period, metric, limit: by === 'author' ? '10' : '20' });
        if (series) query.set('series', series);
        return api<Answer>(`/api/v1/rankings?${query.toString()}`);
      }),
    [by, period, metric, signedIn, series],
  );
}

function bucketLabel(iso: string, interval: 'day' | 'hour'): string {
  return interval === 'hour' ? `${iso.slice(11, 13)}:00` : iso.slice(5, 10);
}

/** Each bucket's values as percent of the bucket's total (0 where the bucket had no traffic). */
function shares(series: NonNullable<RankingsAnswer['series']>): Array<{ name: string; values: number[] }> {
  const totals = series.buckets.map((_, index) => series.data.reduce((sum, line) => sum + (line.values[index] ?? 0), 0));
  return series.data.map((line) => ({
    name: line.name,
    values: line.values.map((value, index) => (totals[index] ? Number(((value / totals[index]!) * 100).toFixed(2)) : 0)),
  }));
}

function ShareChart({ answer, metric }: { answer: Answer; metric: Metric }) {
  const series = answer.series;
  const option = useMemo<ChartOption | null>(() => {
    if (!series || series.data.length === 0) return null;
    return {
      tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => `${Number(value).toFixed(1)}%` },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: 'category', boundaryGap: false, data: series.buckets.map((bucket) => bucketLabel(bucket, series.interval)) },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: shares(series).map((line) => ({
        name: line.name,
        type: 'line',
        stack: 'share',
        areaStyle: {},
        symbol: 'none',
        emphasis: { focus: 'series' },
        data: line.values,
      })),
    };
  }, [series]);
  if (!series || !option) return null;
  const percentLines = shares(series);
  return (
    <>
      <Chart option={option} height={300} label={`Share of ${metric} by author per ${series.interval}, stacked to 100%`} />
      <details className="data">
        <summary>Data</summary>
        <div className="table-wrap">
          <table>
            <caption className="sr-only">
              {metric} by author per {series.interval} (share of the {series.interval}'s total)
            </caption>
            <thead>
              <tr>
                <th scope="col">{series.interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
                {series.data.map((line) => (
                  <th key={line.name} scope="col">
                    {line.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {series.buckets.map((bucket, index) => (
                <tr key={bucket}>
                  <th scope="row">{series.interval === 'hour' ? bucket.slice(0, 13).replace('T', ' ') + ':00' : bucket.slice(0, 10)}</th>
                  {series.data.map((line, lineIndex) => (
                    <td key={line.name}>
                      {metric === 'cost' ? usd(line.values[index], 6) : count(line.values[index])} (
                      {percent(percentLines[lineIndex]?.values[index])})
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function RankTable({
  rows,
  others,
  metric,
  nameHead,
  name,
  testId,
  caption,
  extra,
}: {
  rows: Row[];
  others: Row | null;
  metric: Metric;
  nameHead: string;
  name: (row: Row) => ReactNode;
  testId: string;
  caption: string;
  extra?: { head: string; cell: (row: Row) => ReactNode };
}) {
  const all = others ? [...rows, others] : rows;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <TableHead
          columns={[
            '#',
            nameHead,
            ...(extra ? [extra.head] : []),
            'Share',
            { label: metric === 'cost' ? 'Cost' : metric === 'requests' ? 'Requests' : 'Tokens', num: true },
            { label: 'Change', num: true },
          ]}
        />
        <tbody>
          {all.map((row) => (
            <tr key={row.name}>
              <td>{row === others ? '' : row.rank}</td>
              <td>{row === others ? <em>others</em> : name(row)}</td>
              {extra ? <td>{row === others ? '' : extra.cell(row)}</td> : null}
              <td>
                <span className="share">
                  <span className="share-track" aria-hidden="true">
                    <span className="share-bar" style={{ width: `${Math.min(100, Math.max(0, row.share))}%` }} />
                  </span>
                  {percent(row.share)}
                </span>
              </td>
              <td className="num">{metricValue(row, metric)}</td>
              <td className={`num ${row.change === null ? '' : row.change >= 0 ? 'up' : 'down'}`}>
                {row === others ? '' : change(row.change)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Switch<T extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onChange: (next: T) => void;
}) {
  return (
    <fieldset className="switch">
      <legend>{label}</legend>
      {options.map((option) => (
        <label key={option} className={option === value ? 'on' : undefined}>
          <input type="radio" name={label} value={option} checked={option === value} onChange={() => onChange(option)} />
          {option}
        </label>
      ))}
    </fieldset>
  );
}

function NoTraffic({ scope }: { scope: 'gateway' | 'account' }) {
  const origin = window.location.origin;
  const example = `curl ${origin}/v1/chat/completions \\
  -H "Authorization: Bearer $AGORA_KEY" \\
  -H "Content-Type: application/json" \\
  -H "X-Title: My app" \\
  -d '{"model": "<a model id from the Models page>", "messages": [{"role": "user", "content": "Hello"}]}'`;
  return (
    <Empty>
      <p>
        <strong>No traffic in this period yet</strong> {scope === 'account' ? 'for your account' : 'on this gateway'}. Rankings count every
        request made through the gateway; send one and it shows up here within seconds:
      </p>
      <pre>
        <code>{example}</code>
      </pre>
      <p>
        Or try a model on the <a href="#/playground">Playground</a>. <code>X-Title</code> (or <code>HTTP-Referer</code>) names your app in
        the apps ranking.
      </p>
    </Empty>
  );
}

export default function Rankings(props: PageProps) {
  const signedIn = hasKey(props.signedIn);
  const [period, setPeriod] = useState<Period>('week');
  const [metric, setMetric] = useState<Metric>('tokens');
  const authors = useRankings('author', period, metric, signedIn, period === 'day' ? 'hour' : 'day');
  const models = useRankings('model', period, metric, signedIn);
  const apps = useRankings('app', period, metric, signedIn);

  if (!signedIn) {
    return (
      <>
        <h1>Rankings</h1>
        <SignInFirst what="rankings (an ordinary key sees its own account's traffic, an admin key the whole gateway)" />
      </>
    );
  }
  const answer = authors.data;
  const empty = answer !== undefined && answer.total.requests === 0;
  return (
    <>
      <h1>Rankings</h1>
      <div className="filters">
        <Switch label="Period" value={period} options={PERIODS} onChange={setPeriod} />
        <Switch label="Metric" value={metric} options={METRICS} onChange={setMetric} />
      </div>
      {answer ? (
        <p className="muted" data-testid="rankings-scope">
          {PERIOD_LABEL[period]} ({answer.from.slice(0, 10)} to {new Date(Date.parse(answer.to) - 1).toISOString().slice(0, 10)}, UTC) ·{' '}
          {answer.scope === 'gateway' ? 'the whole gateway (admin key)' : "your account's traffic"} · {count(answer.total.requests)}{' '}
          requests, {count(answer.total.tokens)} tokens, {money(answer.total.cost)}
          {answer.total.change !== null ? ` · ${change(answer.total.change)} ${metric} against the period before` : ''}
        </p>
      ) : null}
      <section aria-labelledby="rankings-authors-title" className="card">
        <h2 id="rankings-authors-title">Share of {metric} by author</h2>
        <Show loaded={authors} what="authors">
          {(data) =>
            data.total.requests === 0 ? (
              <NoTraffic scope={data.scope} />
            ) : (
              <>
                <ShareChart answer={data} metric={metric} />
                <RankTable
                  rows={data.data}
                  others={data.others}
                  metric={metric}
                  nameHead="Author"
                  name={(row) => row.name}
                  extra={{ head: 'Country', cell: (row) => row.country ?? '–' }}
                  testId="rankings-authors"
                  caption={`Authors by share of ${metric}`}
                />
              </>
            )
          }
        </Show>
      </section>
      {empty ? null : (
        <div className="grid rankings-grid">
          <section aria-labelledby="rankings-models-title" className="card">
            <h2 id="rankings-models-title">Top models</h2>
            <Show loaded={models} what="models">
              {(data) =>
                data.data.length === 0 ? (
                  <Empty>No model was used in this period.</Empty>
                ) : (
                  <RankTable
                    rows={data.data}
                    others={data.others}
                    metric={metric}
                    nameHead="Model"
                    name={(row) => <a href={`#/models/${row.name}`}>{row.name}</a>}
                    testId="rankings-models"
                    caption={`Models by share of ${metric}`}
                  />
                )
              }
            </Show>
          </section>
          <section aria-labelledby="rankings-apps-title" className="card">
            <h2 id="rankings-apps-title">Top apps</h2>
            <Show loaded={apps} what="apps">
              {(data) =>
                data.data.length === 0 ? (
                  <Empty>
                    No app was named in this period. Send <code>X-Title: My app</code> (or <code>HTTP-Referer</code>) with your requests to
                    appear here.
                  </Empty>
                ) : (
                  <RankTable
                    rows={data.data}
                    others={data.others}
                    metric={metric}
                    nameHead="App"
                    name={(row) => row.name}
                    testId="rankings-apps"
                    caption={`Apps by share of ${metric}`}
                  />
                )
              }
            </Show>
          </section>
        </div>
      )}
    </>
  );
}
