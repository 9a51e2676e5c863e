/**
 * A small Prometheus registry (text exposition format 0.0.4), written for the request path: a
 * labelled series is a child object created once and kept by its caller, so counting a request is
 * a field increment and observing a latency is a bucket search over a Float64Array — no label
 * hashing, no allocation. prom-client hashes the label object on every `observe` with labels; here
 * the children are resolved once per route, model or writer. Gauges that mirror state held
 * elsewhere (circuits, queues, the process) are read when scraped, so they cost nothing between scrapes.
 */

/** Most children a family creates; past it, new label values are counted under `_other` (a bound on memory and series). */
const MAX_CHILDREN = 2_000;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{a="x",b="y"}`, or '' without labels. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  let text = '{';
  for (let index = 0; index < names.length; index++) {
    if (index > 0) text += ',';
    text += `${names[index]}="${escapeLabel(values[index] ?? '')}"`;
  }
  return `${text}}`;
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export class CounterChild {
  value = 0;
  constructor(readonly labels: string) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeChild {
  value = 0;
  constructor(readonly labels: string) {}
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  set(value: number): void {
    this.value = value;
  }
}

export class HistogramChild {
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: string,
    readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index++;
    this.counts[index]!++;
    this.sum += value;
    this.count++;
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';

abstract class Family<Child extends { labels: string }> {
  private readonly children = new Map<string, Child>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly kind: Kind,
  ) {}

  protected abstract make(labels: string): Child;

  /** The child for these label values (created on first use); callers keep it rather than asking per event. */
  child(...values: string[]): Child {
    const key = values.join('\u0001');
    let child = this.children.get(key);
    if (!child) {
      const overflow = this.children.size >= MAX_CHILDREN;
      const shown = overflow ? values.map(() => '_other') : values;
      const shownKey = overflow ? shown.join('\u0001') : key;
      child = this.children.get(shownKey) ?? this.make(labelText(this.labelNames, shown));
      this.children.set(shownKey, child);
      if (!overflow) this.children.set(key, child);
    }
    return child;
  }

  /** Distinct children (a child may sit under two keys after overflow). */
  all(): Child[] {
    return [...new Set(this.children.values())];
  }

  header(): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${this.name} ${this.kind}\n`;
  }

  abstract render(): string;
}

export class Counter extends Family<CounterChild> {
  /** `divisor`: children count in a smaller unit (nanodollars) and are shown divided by it (USD), so sums stay exact. */
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    private readonly divisor = 1,
  ) {
    super(name, help, labelNames, 'counter');
  }
  protected make(labels: string): CounterChild {
    return new CounterChild(labels);
  }
  render(): string {
    let text = this.header();
    for (const child of this.all()) text += `${this.name}${child.labels} ${formatNumber(child.value / this.divisor)}\n`;
    return text;
  }
}

export class Gauge extends Family<GaugeChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }
  protected make(labels: string): GaugeChild {
    return new GaugeChild(labels);
  }
  render(): string {
    let text = this.header();
    for (const child of this.all()) text += `${this.name}${child.labels} ${formatNumber(child.value)}\n`;
    return text;
  }
}

export class Histogram extends Family<HistogramChild> {
  private readonly bounds: Float64Array;
  private readonly leTexts: string[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames, 'histogram');
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    this.leTexts = [...this.bounds].map(formatNumber).concat('+Inf');
  }
  protected make(labels: string): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }
  render(): string {
    let text = this.header();
    for (const child of this.all()) {
      const inner = child.labels === '' ? '' : `${child.labels.slice(1, -1)},`;
      let cumulative = 0;
      for (let index = 0; index < this.leTexts.length; index++) {
        cumulative += child.counts[index]!;
        text += `${this.name}_bucket{${inner}le="${this.leTexts[index]}"} ${formatNumber(cumulative)}\n`;
      }
      text += `${this.name}_sum${child.labels} ${formatNumber(child.sum)}\n`;
      text += `${this.name}_count${child.labels} ${formatNumber(child.count)}\n`;
    }
    return text;
  }
}

/** A family whose samples are read when scraped: `collect` returns [label values, value] pairs. */
export class Collected {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
    readonly collect: () => Iterable<readonly [readonly string[], number]>,
  ) {}
  render(): string {
    let text = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.kind}\n`;
    for (const [values, value] of this.collect()) text += `${this.name}${labelText(this.labelNames, values)} ${formatNumber(value)}\n`;
    return text;
  }
}

export class Registry {
  private readonly families: Array<{ render(): string }> = [];
  add<F extends { render(): string }>(family: F): F {
    this.families.push(family);
    return family;
  }
  render(): string {
    let text = '';
    for (const family of this.families) text += family.render();
    return text;
  }
}

/** Seconds: from 1 ms to 5 min (HTTP answers and whole generations). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds: time to first token. */
export const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Seconds: a database batch or a group commit, from 0.1 ms. */
export const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
