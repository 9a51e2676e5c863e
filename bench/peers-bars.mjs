// The bars of issue 16 checked per repeat from one bench:peers run's results.jsonl: each figure as
// the bar states it (a ratio or a difference against node_min in the same repeat), whether it is
// met, and whether the host disturbed it (CPU steal above STEAL_LIMIT_PCT on either core during
// either of the two measurements, after the harness's own retries). A disturbed cell is shown but
// counted neither as met nor as missed.
//   node bench/peers-bars.mjs RESULTS.jsonl

export const STEAL_LIMIT_PCT = 5;

export const BARS = [
  { name: 'chat, 16 connections: req/s ÷ node_min', phase: 'chat', level: 16, kind: 'ratio', field: 'rps', at: 0.8 },
  { name: 'stream, 16 connections: req/s ÷ node_min', phase: 'stream', level: 16, kind: 'ratio', field: 'rps', at: 0.7 },
  { name: 'TTFB p50 at 1 connection − node_min', phase: 'ttfb', level: 1, kind: 'added', field: 'ttfb_p50_ms', at: 0.1 },
  { name: 'p50 at 200 req/s offered − node_min', phase: 'rate', level: 200, kind: 'added', field: 'p50_ms', at: 0.1 },
];

/** The records of results.jsonl (one JSON object a line), the last attempt of each measurement. */
export function parseResults(text) {
  const byKey = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line);
    const key = `${record.repeat}|${record.phase}|${record.target}|${record.level}`;
    const previous = byKey.get(key);
    if (!previous || (record.attempt ?? 1) >= (previous.attempt ?? 1)) byKey.set(key, record);
  }
  return [...byKey.values()];
}

const steal = (record) => Math.max(record.server_core_steal_pct ?? 0, record.load_core_steal_pct ?? 0);

/** One row per bar: per repeat, the figure, whether it is met, and the steal that disturbed it. */
export function checkBars(records, target = 'agora', baseline = 'node_min') {
  const repeats = [...new Set(records.map((record) => record.repeat))].sort((a, b) => a - b);
  const find = (repeat, phase, who, level) =>
    records.find((record) => record.repeat === repeat && record.phase === phase && record.target === who && record.level === level);
  return BARS.map((bar) => ({
    bar,
    cells: repeats.map((repeat) => {
      const ours = find(repeat, bar.phase, target, bar.level);
      const theirs = find(repeat, bar.phase, baseline, bar.level);
      if (!ours || !theirs || typeof ours[bar.field] !== 'number' || typeof theirs[bar.field] !== 'number') {
        return { repeat, value: undefined, met: undefined, steal: undefined };
      }
      const value = bar.kind === 'ratio' ? ours[bar.field] / theirs[bar.field] : ours[bar.field] - theirs[bar.field];
      const worst = Math.max(steal(ours), steal(theirs));
      const disturbed = worst > STEAL_LIMIT_PCT;
      const met = disturbed ? undefined : bar.kind === 'ratio' ? value >= bar.at : value <= bar.at;
      return { repeat, value, met, steal: worst };
    }),
  }));
}

function cell({ value, met, steal: worst }, bar, verdict) {
  if (value === undefined) return 'not measured';
  const figure = bar.kind === 'ratio' ? `${value.toFixed(2)}×` : `${value >= 0 ? '+' : ''}${value.toFixed(3)} ms`;
  if (worst > STEAL_LIMIT_PCT) return `${figure} (steal ${worst.toFixed(1)}%: disturbed)`;
  if (!verdict) return figure;
  return `${figure} ${met ? 'met' : 'missed'}`;
}

/**
 * The markdown table of checkBars's rows; `verdict: false` shows the figures only (against a
 * baseline the bars do not name), and `baseline` names it in the rows.
 */
export function barTable(rows, { verdict = true, baseline = 'node_min' } = {}) {
  const repeats = rows[0]?.cells.map((c) => c.repeat) ?? [];
  const lines = [
    `| bar | ${repeats.map((repeat) => `repeat ${repeat}`).join(' | ')} |`,
    `|---|${repeats.map(() => '---').join('|')}|`,
    ...rows.map(
      ({ bar, cells }) =>
        `| ${bar.name.replace('node_min', baseline)}${verdict ? ` ${bar.kind === 'ratio' ? '≥' : '≤'} ${bar.kind === 'ratio' ? `${bar.at}×` : `+${bar.at} ms`}` : ''} | ${cells.map((c) => cell(c, bar, verdict)).join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n\n(a cell is disturbed when CPU steal on the server or load core passed ${STEAL_LIMIT_PCT}% during either measurement, after the harness's retries: it counts as neither met nor missed)\n`;
}

/**
 * The bars for Agora; when the run measured node_settled (the floor under the contract: node_min
 * plus the settlement rule alone), the same bars for it, and Agora's figures against it.
 */
export function report(records) {
  let text = `## The bars, per repeat\n\n${barTable(checkBars(records))}`;
  if (!records.some((record) => record.target === 'node_settled')) return text;
  text += `\n## The floor under the contract: node_settled (node_min, each answer's last byte after its ledger row's group commit) against the same bars\n\n${barTable(checkBars(records, 'node_settled'))}`;
  text += `\n## Agora against the floor (its own work, the rule's cost taken out)\n\n${barTable(checkBars(records, 'agora', 'node_settled'), { verdict: false, baseline: 'node_settled' })}`;
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file || file === '--help' || file === '-h') {
    console.log(`usage: node bench/peers-bars.mjs RESULTS.jsonl
  The bars of issue 16 per repeat, from a bench:peers run's raw results (its last line names the file).`);
    process.exit(file ? 0 : 2);
  }
  const { readFileSync } = await import('node:fs');
  console.log(report(parseResults(readFileSync(file, 'utf8'))));
}
