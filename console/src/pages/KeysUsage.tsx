/**
 * Spend and tokens over time (the usage export's rows grouped by UTC day) and the generation log,
 * each record opening onto its attempts (GET /api/v1/generation?id=).
 */
import { Fragment, useMemo, useState } from 'react';
import { api } from '../api.js';
import type { AttemptRecord } from '../../../src/routing/execute.js';
import { Chart, type ChartOption } from '../chart.js';
import { Empty, ErrorBox, Loading, Show, count, usd, useApi, TableHead } from '../ui.js';

export interface UsageRow {
  id: string;
  created_at: string;
  key_id: string | null;
  model: string;
  provider: string | null;
  upstream_model: string | null;
  status: string;
  finish_reason: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  usage_estimated: number;
  cost_usd: string | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  app_referer: string | null;
  app_title: string | null;
}

interface GenerationDetail {
  id: string;
  provider_name: string | null;
  finish_reason: string | null;
  latency: number | null;
  time_to_first_token: number | null;
  streamed: boolean;
  total_cost: number;
  http_status: number | null;
  error: { code: string; message: string | null } | null;
  attempts: AttemptRecord[];
  provider_responses: Array<{ provider_name: string; status: number; latency: number; endpoint_id: string }>;
}

const DAY_MS = 86_400_000;
const RANGES = [7, 30, 90] as const;

interface Day {
  day: string;
  requests: number;
  prompt: number;
  completion: number;
  cost: number;
}

/** Rows → one entry per UTC day of the range (days without traffic included, as zeros). */
export function byDay(rows: UsageRow[], from: number, to: number): Day[] {
  const days = new Map<string, Day>();
  for (let at = Math.floor(from / DAY_MS) * DAY_MS; at < to; at += DAY_MS) {
    const day = new Date(at).toISOString().slice(0, 10);
    days.set(day, { day, requests: 0, prompt: 0, completion: 0, cost: 0 });
  }
  for (const row of rows) {
    const day = row.created_at.slice(0, 10);
    const into = days.get(day) ?? { day, requests: 0, prompt: 0, completion: 0, cost: 0 };
    into.requests += 1;
    into.prompt += row.prompt_tokens ?? 0;
    into.completion += row.completion_tokens ?? 0;
    into.cost += Number(row.cost_usd ?? 0);
    days.set(day, into);
  }
  return [...days.values()].sort((left, right) => (left.day < right.day ? -1 : 1));
}

function UsageChart({ days }: { days: Day[] }) {
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 64, top: 64, bottom: 32 },
      xAxis: { type: 'category', data: days.map((day) => day.day.slice(5)) },
      yAxis: [
        { type: 'value', name: 'tokens', minInterval: 1 },
        { type: 'value', name: 'USD', axisLabel: { formatter: (value: number) => `$${value}` }, splitLine: { show: false } },
      ],
      series: [
        { name: 'prompt tokens', type: 'bar', stack: 'tokens', data: days.map((day) => day.prompt) },
        { name: 'completion tokens', type: 'bar', stack: 'tokens', data: days.map((day) => day.completion) },
        {
          name: 'spend (USD)',
          type: 'line',
          yAxisIndex: 1,
          data: days.map((day) => Number(day.cost.toFixed(9))),
          tooltip: { valueFormatter: (value: unknown) => `$${Number(value).toFixed(6)}` },
        },
      ],
    }),
    [days],
  );
  return (
    <>
      <Chart option={option} height={280} label="Tokens (bars) and spend (line) per day" />
      <details className="data">
        <summary>Data</summary>
        <div className="table-wrap">
          <table data-testid="usage-data">
            <caption className="sr-only">Requests, tokens and spend per day (UTC)</caption>
            <TableHead
              columns={[
                'Day (UTC)',
                { label: 'Requests', num: true },
                { label: 'Prompt tokens', num: true },
                { label: 'Completion tokens', num: true },
                { label: 'Spend', num: true },
              ]}
            />
            <tbody>
              {days.map((day) => (
                <tr key={day.day}>
                  <th scope="row">{day.day}</th>
                  <td className="num">{count(day.requests)}</td>
                  <td className="num">{count(day.prompt)}</td>
                  <td className="num">{count(day.completion)}</td>
                  <td className="num">{usd(day.cost, 6)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function Attempts({ id }: { id: string }) {
  const detail = useApi(() => api<{ data: GenerationDetail }>(`/api/v1/generation?id=${encodeURIComponent(id)}`), [id]);
  return (
    <Show loaded={detail} what="attempts">
      {({ data }) => (
        <div className="attempts">
          <p className="muted">
            {data.provider_name ? `Served by ${data.provider_name}` : 'Not served'} · {data.streamed ? 'streamed' : 'not streamed'}
            {data.time_to_first_token !== null ? ` · first token ${data.time_to_first_token} ms` : ''}
            {data.latency !== null ? ` · ${data.latency} ms in all` : ''}
            {data.finish_reason ? ` · finish: ${data.finish_reason}` : ''}
            {data.error ? ` · error ${data.error.code}: ${data.error.message ?? ''}` : ''}
          </p>
          {data.attempts.length === 0 ? (
            <p className="muted">No attempt was recorded.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="attempts">
                <caption className="sr-only">Attempts of generation {data.id}</caption>
                <TableHead columns={['#', 'Provider', 'Upstream model', 'Status', { label: 'Latency', num: true }, 'Outcome']} />
                <tbody>
                  {data.attempts.map((attempt, index) => (
                    <tr key={index}>
                      <td>{index + 1}</td>
                      <td>{attempt.provider}</td>
                      <td>{attempt.upstream_model}</td>
                      <td>
                        {attempt.status === 0 ? (
                          <span className="badge">skipped</span>
                        ) : (
                          <span className={`badge ${attempt.status < 400 ? 'good' : 'bad'}`}>{attempt.status}</span>
                        )}
                      </td>
                      <td className="num">{attempt.status === 0 ? '–' : `${attempt.latency_ms} ms`}</td>
                      <td>{attempt.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </Show>
  );
}

const PAGE = 50;

function GenerationLog({ rows, showKey }: { rows: UsageRow[]; showKey: boolean }) {
  const [open, setOpen] = useState<string | null>(null);
  const [shown, setShown] = useState(PAGE);
  const newest = useMemo(() => [...rows].reverse(), [rows]);
  if (rows.length === 0) return <Empty>No generations in this period.</Empty>;
  const columns = showKey ? 10 : 9;
  return (
    <>
      <div className="table-wrap">
        <table data-testid="generations">
          <caption className="sr-only">Generations, newest first</caption>
          <TableHead
            columns={[
              'Time',
              'Model',
              'Provider',
              'Status',
              { label: 'Tokens in / out', num: true },
              { label: 'Cost', num: true },
              { label: 'Latency', num: true },
              'App',
              ...(showKey ? ['Key'] : []),
              <span className="sr-only">Attempts</span>,
            ]}
          />
          <tbody>
            {newest.slice(0, shown).map((row) => (
              <Fragment key={row.id}>
                <tr>
                  <td title={row.created_at}>{new Date(row.created_at).toLocaleString()}</td>
                  <td>{row.model}</td>
                  <td>{row.provider ?? '–'}</td>
                  <td>
                    <span className={`badge ${row.status === 'success' ? 'good' : row.status === 'cancelled' ? '' : 'bad'}`}>
                      {row.status}
                    </span>
                  </td>
                  <td className="num">
                    {count(row.prompt_tokens)} / {count(row.completion_tokens)}
                    {row.usage_estimated ? ' (est.)' : ''}
                  </td>
                  <td className="num">{row.cost_usd === null ? '–' : `$${row.cost_usd}`}</td>
                  <td className="num">{row.latency_ms === null ? '–' : `${row.latency_ms} ms`}</td>
                  <td>{row.app_title ?? row.app_referer ?? '–'}</td>
                  {showKey ? <td>{row.key_id ?? '–'}</td> : null}
                  <td>
                    <button
                      type="button"
                      className="secondary small"
                      aria-expanded={open === row.id}
                      aria-controls={`attempts-${row.id}`}
                      onClick={() => setOpen(open === row.id ? null : row.id)}
                    >
                      {open === row.id ? 'Hide' : 'Attempts'}
                    </button>
                  </td>
                </tr>
                {open === row.id ? (
                  <tr id={`attempts-${row.id}`} className="expanded">
                    <td colSpan={columns}>
                      <Attempts id={row.id} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {newest.length > shown ? (
        <button type="button" className="secondary" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, newest.length - shown)} more (of {count(newest.length)})
        </button>
      ) : null}
    </>
  );
}

export function UsageSection({ admin }: { admin: boolean }) {
  const [range, setRange] = useState<(typeof RANGES)[number]>(30);
  const [tick, setTick] = useState(0);
  const span = useMemo(() => {
    const to = Date.now() + 1;
    // Whole UTC days: the first day of the range from its midnight.
    const from = Math.floor((to - (range - 1) * DAY_MS) / DAY_MS) * DAY_MS;
    return { from, to };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [range, tick]);
  const usage = useApi(() => {
    const query = new URLSearchParams({ format: 'json', from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString() });
    return api<{ data: UsageRow[] }>(`/api/v1/usage?${query.toString()}`);
  }, [span]);
  const rows = usage.data?.data;
  const days = useMemo(() => (rows ? byDay(rows, span.from, span.to) : []), [rows, span]);
  const totals = days.reduce(
    (sum, day) => ({ requests: sum.requests + day.requests, tokens: sum.tokens + day.prompt + day.completion, cost: sum.cost + day.cost }),
    { requests: 0, tokens: 0, cost: 0 },
  );
  return (
    <>
      <section className="card" aria-labelledby="usage-title">
        <h2 id="usage-title">Spend and tokens over time</h2>
        <div className="form-row">
          <label htmlFor="usage-range">
            Period
            <select id="usage-range" value={range} onChange={(event) => setRange(Number(event.target.value) as (typeof RANGES)[number])}>
              {RANGES.map((days) => (
                <option key={days} value={days}>
                  Last {days} days
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => setTick(tick + 1)}>
            Refresh
          </button>
          {rows ? (
            <span className="muted">
              {admin ? 'Every key' : 'This key'}: {count(totals.requests)} requests, {count(totals.tokens)} tokens, {usd(totals.cost, 6)}
            </span>
          ) : null}
        </div>
        {usage.error ? (
          <ErrorBox error={usage.error} retry={usage.reload} />
        ) : !rows ? (
          <Loading what="usage" />
        ) : rows.length === 0 ? (
          <Empty>
            No requests in the last {range} days. Send one from the <a href="#/playground">Playground</a> or with curl to{' '}
            <code>{location.origin}/v1/chat/completions</code>.
          </Empty>
        ) : (
          <UsageChart days={days} />
        )}
      </section>
      <section className="card" aria-labelledby="generations-title">
        <h2 id="generations-title">Generation log</h2>
        {usage.error ? (
          <ErrorBox error={usage.error} retry={usage.reload} />
        ) : !rows ? (
          <Loading what="generations" />
        ) : (
          <GenerationLog rows={rows} showKey={admin} />
        )}
      </section>
    </>
  );
}
