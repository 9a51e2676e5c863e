/**
 * Telemetry end to end (Part 13): a gateway in front of the scripted upstream serves plain, streamed,
 * failing and failed-over requests; GET /metrics is parsed by a strict Prometheus text-format parser
 * (below) and every count and sum is checked against what was sent and answered; an OTLP/HTTP
 * receiver on loopback collects the spans, checked attribute by attribute against the GenAI semantic
 * conventions; the structured log carries each request's generation id.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, startTestGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';
import { decodeTraceExport } from '../helpers/otlp-proto.js';

// ---- a strict Prometheus text-format (0.0.4) parser ---------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)} in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const eq = text.indexOf('=', at);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(at, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${name} in: ${line}`);
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    let index = eq + 2;
    for (; index < text.length && text[index] !== '"'; index++) {
      if (text[index] === '\\') {
        const next = text[++index];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else value += text[index];
    }
    if (text[index] !== '"') throw new Error(`unterminated label value in: ${line}`);
    labels[name] = value;
    at = index + 1;
    if (at < text.length) {
      if (text[at] !== ',') throw new Error(`expected , between labels in: ${line}`);
      at++;
    }
  }
  return labels;
}

/** Parses the exposition text; throws on anything the format does not allow (and on histogram inconsistencies). */
function parsePrometheus(text: string): Map<string, MetricFamily> {
  expect(text.endsWith('\n'), 'ends with a newline').toBe(true);
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | undefined;
  const familyOf = (sample: string): MetricFamily | undefined => {
    if (
      current &&
      (sample === current.name ||
        (current.type === 'histogram' &&
          /_(bucket|sum|count)$/.test(sample) &&
          sample.replace(/_(bucket|sum|count)$/, '') === current.name))
    )
      return current;
    return undefined;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, ...help] = line.split(' ').slice(1);
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (families.has(name!)) throw new Error(`family ${name} appears twice`);
      current = { name: name!, type: 'untyped', help: help.join(' '), samples: [] };
      families.set(name!, current);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!current || current.name !== name) throw new Error(`TYPE without its HELP: ${line}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) throw new Error(`bad type in: ${line}`);
      if (current.samples.length > 0) throw new Error(`TYPE after samples: ${line}`);
      current.type = type!;
      continue;
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line: ${JSON.stringify(line)}`);
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!match) throw new Error(`bad sample line: ${line}`);
    const family = familyOf(match[1]!);
    if (!family) throw new Error(`sample outside its family: ${line}`);
    family.samples.push({ name: match[1]!, labels: match[2] ? parseLabels(match[2], line) : {}, value: parseValue(match[3]!, line) });
  }
  for (const family of families.values()) {
    if (family.type === 'counter')
      for (const sample of family.samples) expect(sample.value, `${family.name} ≥ 0`).toBeGreaterThanOrEqual(0);
    if (family.type !== 'histogram') continue;
    // Per series: buckets cumulative and ascending in le, +Inf present and equal to _count.
    const series = new Map<string, Sample[]>();
    for (const sample of family.samples) {
      const { le, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push(sample);
      if (sample.name.endsWith('_bucket')) expect(le, `${family.name}: le on buckets`).toBeDefined();
    }
    for (const samples of series.values()) {
      const buckets = samples.filter((sample) => sample.name.endsWith('_bucket'));
      const count = samples.find((sample) => sample.name.endsWith('_count'))!;
      expect(samples.some((sample) => sample.name.endsWith('_sum'))).toBe(true);
      let previousLe = -Infinity;
      let previous = 0;
      for (const bucket of buckets) {
        const le = parseValue(bucket.labels.le!, bucket.name);
        expect(le).toBeGreaterThan(previousLe);
        expect(bucket.value).toBeGreaterThanOrEqual(previous);
        previousLe = le;
        previous = bucket.value;
      }
      expect(previousLe).toBe(Infinity);
      expect(previous).toBe(count.value);
    }
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const familyName = name.replace(/_(bucket|sum|count)$/, '');
  const family = families.get(name) ?? families.get(familyName);
  if (!family) throw new Error(`no metric ${name}`);
  const found = family.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, expected]) => sample.labels[key] === expected),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

// ---- an OTLP/HTTP receiver ----------------------------------------------------------------------

interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string;
    doubleValue?: number;
    boolValue?: boolean;
    arrayValue?: { values: Array<{ stringValue: string }> };
  };
}
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

function attributeValue(attribute: OtlpAttribute['value']): unknown {
  if (attribute.stringValue !== undefined) return attribute.stringValue;
  if (attribute.intValue !== undefined) {
    expect(attribute.intValue, 'int64 as a decimal string').toMatch(/^-?\d+$/);
    return Number(attribute.intValue);
  }
  if (attribute.doubleValue !== undefined) return attribute.doubleValue;
  if (attribute.boolValue !== undefined) return attribute.boolValue;
  if (attribute.arrayValue !== undefined) return attribute.arrayValue.values.map((item) => item.stringValue);
  throw new Error(`unknown attribute value ${JSON.stringify(attribute)}`);
}

function attrs(span: { attributes: OtlpAttribute[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const attribute of span.attributes) {
    expect(out, `attribute ${attribute.key} appears once`).not.toHaveProperty([attribute.key]);
    out[attribute.key] = attributeValue(attribute.value);
  }
  return out;
}

interface ExportRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ scope: { name: string; version?: string }; spans: ReceivedSpan[] }>;
  }>;
}

/**
 * An OTLP/HTTP receiver: binary protobuf decoded by protobufjs (test/helpers/otlp-proto.ts), JSON
 * parsed; either way spans land here in OTLP's JSON mapping, an unset status code read as 0 (its
 * default on the wire).
 */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; posts: number; contentTypes: string[]; server: Server }> {
  const received = { url: '', spans: [] as ReceivedSpan[], posts: 0, contentTypes: [] as string[], server: undefined as unknown as Server };
  received.server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const type = request.headers['content-type'] ?? '';
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !['application/json', 'application/x-protobuf'].includes(type)) {
        response.writeHead(404).end();
        return;
      }
      received.posts++;
      received.contentTypes.push(type);
      const bytes = Buffer.concat(chunks);
      const body = (type === 'application/json' ? JSON.parse(bytes.toString('utf8')) : decodeTraceExport(bytes)) as ExportRequest;
      for (const resourceSpans of body.resourceSpans) {
        const resource = attrs(resourceSpans.resource);
        for (const scopeSpans of resourceSpans.scopeSpans) {
          expect(scopeSpans.scope.name).toBe('agora');
          for (const span of scopeSpans.spans)
            received.spans.push({ ...span, status: { ...span.status, code: span.status?.code ?? 0 }, resource });
        }
      }
      if (type === 'application/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{"partialSuccess":{}}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => received.server.listen(0, '127.0.0.1', resolve));
  received.url = `http://127.0.0.1:${(received.server.address() as AddressInfo).port}`;
  return received;
}

// ---- the suite ----------------------------------------------------------------------------------

interface ChatAnswer {
  id: string;
  usage: { prompt_tokens: number; completion_tokens: number; cost: number };
}

describe('telemetry: /metrics, OTLP traces, generation ids in logs', () => {
  let upstream: FakeUpstream;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let gateway: TestGateway;
  let key: string;
  const plain: ChatAnswer[] = [];
  const plainUpstreamIds: string[] = [];
  const streamed: Array<{ id: string; usage: ChatAnswer['usage'] }> = [];
  let failed: { id: string; status: number; code: string; kind: string };
  let fallback: ChatAnswer;
  let parented: ChatAnswer;
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT_SPAN = '00f067aa0ba902b7';

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function scrape(headers: Record<string, string> = {}): Promise<Map<string, MetricFamily>> {
    const response = await fetch(`${gateway.url}/metrics`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheus(await response.text());
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream({ name: 'telemetry' });
    receiver = await startOtlpReceiver();
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 3000, idle_ms: 3000 }
telemetry: { otlp_endpoint: ${receiver.url}, service_name: agora-test }
providers:
  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
  backup: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/metered:
    endpoints:
      - { provider: acme, model: "usage:10:20:0:0", pricing: { prompt: 2, completion: 4 }, context_length: 32768 }
  acme/broken:
    endpoints:
      - { provider: acme, model: "status:500", pricing: { prompt: 1, completion: 1 }, context_length: 32768 }
  acme/fallback:
    endpoints:
      - { provider: acme, model: "status:503", pricing: { prompt: 1, completion: 1 }, context_length: 32768 }
      - { provider: backup, model: ok, pricing: { prompt: 1, completion: 1 }, context_length: 32768 }
`,
    });
    const created = await fetch(`${gateway.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'telemetry', credit: 5 }),
    });
    key = ((await created.json()) as { key: string }).key;

    for (let index = 0; index < 3; index++) {
      const response = await post({
        model: 'acme/ok',
        max_tokens: 16,
        temperature: 0.5,
        top_p: 0.9,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(response.status).toBe(200);
      plain.push((await response.json()) as ChatAnswer);
      plainUpstreamIds.push(upstream.served[upstream.served.length - 1]!.id);
    }
    for (let index = 0; index < 2; index++) {
      const response = await post({ model: 'acme/metered', stream: true, messages: [{ role: 'user', content: 'stream please' }] });
      expect(response.status).toBe(200);
      const text = await response.text();
      const chunks = text
        .split('\n')
        .filter((line) => line.startsWith('data: {'))
        .map((line) => JSON.parse(line.slice(6)) as { id: string; usage?: ChatAnswer['usage'] | null });
      const usage = chunks.find((chunk) => chunk.usage)!.usage!;
      streamed.push({ id: chunks[0]!.id, usage });
    }
    const broken = await post({ model: 'acme/broken', messages: [{ role: 'user', content: 'fail' }] });
    const brokenBody = (await broken.json()) as { error: { code: string; metadata: { error_type: string } } };
    failed = {
      id: broken.headers.get('x-agora-generation-id')!,
      status: broken.status,
      code: brokenBody.error.code,
      kind: brokenBody.error.metadata.error_type,
    };
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const overFailed = await post({
      model: 'acme/fallback',
      provider: { order: ['acme', 'backup'] },
      messages: [{ role: 'user', content: 'fail over' }],
    });
    expect(overFailed.status).toBe(200);
    expect(overFailed.headers.get('x-agora-attempts')).toBe('2');
    fallback = (await overFailed.json()) as ChatAnswer;
    const withParent = await post(
      { model: 'acme/ok', max_tokens: 8, messages: [{ role: 'user', content: 'traced' }] },
      { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
    );
    parented = (await withParent.json()) as ChatAnswer;
    const unauthenticated = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(unauthenticated.status).toBe(401);
    await gateway.running.gateway.lifecycle.telemetry.flush();
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it('GET /metrics parses strictly and counts exactly what was sent', async () => {
    const families = await scrape(); // no key: Prometheus scrapes without one by default
    const route = { method: 'POST', route: '/v1/chat/completions' };
    expect(value(families, 'agora_http_requests_total', { ...route, status: '200' })).toBe(3 + 2 + 1 + 1);
    expect(value(families, 'agora_http_requests_total', { ...route, status: String(failed.status) })).toBe(1);
    expect(value(families, 'agora_http_requests_total', { ...route, status: '401' })).toBe(1);
    expect(value(families, 'agora_http_request_duration_seconds_count', route)).toBe(9);

    const ok = { model: 'acme/ok', provider: 'acme' };
    expect(value(families, 'agora_generations_total', { ...ok, api: 'chat', status: 'success' })).toBe(4);
    expect(value(families, 'agora_generations_total', { model: 'acme/metered', provider: 'acme', status: 'success' })).toBe(2);
    expect(value(families, 'agora_generations_total', { model: 'acme/broken', provider: 'acme', status: 'error' })).toBe(1);
    expect(value(families, 'agora_generations_total', { model: 'acme/fallback', provider: 'backup', status: 'success' })).toBe(1);

    const okAnswers = [...plain, parented];
    const sum = (items: Array<{ usage: ChatAnswer['usage'] }>, pick: (usage: ChatAnswer['usage']) => number) =>
      items.reduce((total, item) => total + pick(item.usage), 0);
    expect(value(families, 'agora_tokens_total', { ...ok, type: 'prompt' })).toBe(sum(okAnswers, (usage) => usage.prompt_tokens));
    expect(value(families, 'agora_tokens_total', { ...ok, type: 'completion' })).toBe(sum(okAnswers, (usage) => usage.completion_tokens));
    expect(value(families, 'agora_tokens_total', { model: 'acme/metered', provider: 'acme', type: 'prompt' })).toBe(20);
    expect(value(families, 'agora_tokens_total', { model: 'acme/metered', provider: 'acme', type: 'completion' })).toBe(40);
    expect(sum(streamed, (usage) => usage.completion_tokens)).toBe(40);
    expect(value(families, 'agora_cost_usd_total', ok)).toBeCloseTo(
      sum(okAnswers, (usage) => usage.cost),
      12,
    );
    expect(value(families, 'agora_cost_usd_total', { model: 'acme/metered', provider: 'acme' })).toBeCloseTo(
      sum(streamed, (usage) => usage.cost),
      12,
    );
    expect(sum(streamed, (usage) => usage.cost)).toBeCloseTo((20 * 2 + 40 * 4) / 1e6, 12);

    expect(value(families, 'agora_time_to_first_token_seconds_count', ok)).toBe(4);
    expect(value(families, 'agora_time_to_first_token_seconds_count', { model: 'acme/metered', provider: 'acme' })).toBe(2);
    expect(value(families, 'agora_generation_duration_seconds_count', ok)).toBe(4);
    expect(value(families, 'agora_generation_duration_seconds_sum', ok)).toBeGreaterThan(0);

    expect(value(families, 'agora_errors_total', { kind: failed.kind, code: failed.code })).toBe(1);
    expect(value(families, 'agora_errors_total', { kind: 'authentication', code: 'invalid_api_key' })).toBe(1);
    expect(value(families, 'agora_upstream_attempts_total', { provider: 'acme', outcome: 'ok' })).toBe(6);
    expect(value(families, 'agora_upstream_attempts_total', { provider: 'backup', outcome: 'ok' })).toBe(1);
    const failedAttempts = families.get('agora_upstream_attempts_total')!.samples.filter((sample) => sample.labels.outcome !== 'ok');
    expect(failedAttempts.reduce((total, sample) => total + sample.value, 0)).toBe(2);

    // Circuits: one state set to 1 per endpoint routed to.
    for (const endpoint of ['acme/ok:acme', 'acme/metered:acme', 'acme/broken:acme', 'acme/fallback:acme', 'acme/fallback:backup']) {
      const states = families.get('agora_circuit_state')!.samples.filter((sample) => sample.labels.endpoint === endpoint);
      expect(states.map((sample) => sample.labels.state).sort()).toEqual(['closed', 'half-open', 'open']);
      expect(states.reduce((total, sample) => total + sample.value, 0)).toBe(1);
      expect(value(families, 'agora_circuit_state', { endpoint, state: 'closed' })).toBe(1);
    }

    // The ledger: a prepaid key's every answer was a group commit.
    expect(value(families, 'agora_ledger_commit_lag_seconds_count')).toBeGreaterThan(0);
    expect(value(families, 'agora_batch_rows_total', { writer: 'ledger' })).toBeGreaterThanOrEqual(7);
    expect(value(families, 'agora_batch_write_seconds_count', { writer: 'ledger' })).toBeGreaterThan(0);
    expect(value(families, 'agora_open_streams')).toBe(0);
    expect(value(families, 'agora_http_requests_in_flight')).toBe(0);
    expect(value(families, 'agora_trace_spans_exported_total')).toBe(receiver.spans.length);
    expect(value(families, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(value(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(families, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    // Nothing about keys or accounts, and no secret, in the labels.
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).not.toContain(key);
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toMatch(/key_[A-Za-z0-9]{6,}|acc_[A-Za-z0-9]{6,}/);
  });

  it('a scrape counts the next scrape, and records by route and status', async () => {
    const before = value(await scrape(), 'agora_http_requests_total', { method: 'GET', route: '/metrics', status: '200' });
    const after = value(await scrape(), 'agora_http_requests_total', { method: 'GET', route: '/metrics', status: '200' });
    expect(after).toBe(before + 1);
  });

  it('exports one SERVER span per request and one CLIENT span per attempt, with the GenAI attributes', () => {
    const servers = receiver.spans.filter((span) => span.kind === 2);
    const clients = receiver.spans.filter((span) => span.kind === 3);
    expect(servers).toHaveLength(3 + 2 + 1 + 1 + 1);
    expect(clients).toHaveLength(3 + 2 + 1 + 2 + 1);
    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/x-protobuf'])); // OTLP exporters' default encoding
    for (const span of receiver.spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.resource).toMatchObject({ 'service.name': 'agora-test', 'telemetry.sdk.language': 'nodejs' });
      expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
      const skew = Math.abs(Number(BigInt(span.startTimeUnixNano) / 1_000_000n) - Date.now());
      expect(skew).toBeLessThan(60_000);
    }
    const serverOf = (generationId: string) => {
      const found = servers.filter((span) => attrs(span)['agora.generation.id'] === generationId);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const childrenOf = (span: ReceivedSpan) => clients.filter((child) => child.parentSpanId === span.spanId);

    plain.forEach((answer, index) => {
      const span = serverOf(answer.id);
      // What the request's span and its attempt's span both carry.
      const both = {
        'gen_ai.usage.input_tokens': answer.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': answer.usage.completion_tokens,
        'gen_ai.request.max_tokens': 16,
        'gen_ai.request.temperature': 0.5,
        'gen_ai.request.top_p': 0.9,
        'gen_ai.response.finish_reasons': ['stop'],
        'server.address': '127.0.0.1',
        'server.port': upstream.port,
      };
      expect(span.name).toBe('chat acme/ok');
      expect(span.status.code).toBe(0);
      expect(span.parentSpanId ?? '').toBe('');
      expect(attrs(span)).toEqual({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'acme',
        'gen_ai.system': 'acme',
        'gen_ai.request.model': 'acme/ok',
        'gen_ai.response.model': 'acme/ok',
        'gen_ai.response.id': answer.id,
        ...both,
        'http.response.status_code': 200,
        'agora.generation.id': answer.id,
        'agora.status': 'success',
        'agora.stream': false,
        'agora.attempts': 1,
        'agora.time_to_first_token_ms': expect.any(Number),
        'agora.cost_usd': answer.usage.cost,
      });
      const [child, ...more] = childrenOf(span);
      expect(more).toEqual([]);
      expect(child!.traceId).toBe(span.traceId);
      expect(child!.name).toBe('chat ok');
      expect(child!.status.code).toBe(0);
      expect(BigInt(child!.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
      expect(BigInt(child!.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(span.endTimeUnixNano));
      expect(attrs(child!)).toEqual({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'acme',
        'gen_ai.system': 'acme',
        'gen_ai.request.model': 'ok',
        'gen_ai.response.model': 'ok',
        'gen_ai.response.id': plainUpstreamIds[index],
        ...both,
        'agora.endpoint': 'acme/ok:acme',
        'agora.attempt.status': 200,
      });
    });

    for (const answer of streamed) {
      const span = serverOf(answer.id);
      expect(span.name).toBe('chat acme/metered');
      expect(attrs(span)).toMatchObject({
        'gen_ai.request.model': 'acme/metered',
        'gen_ai.response.id': answer.id,
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 20,
        'gen_ai.response.finish_reasons': ['stop'],
        'agora.stream': true,
        'agora.cost_usd': answer.usage.cost,
      });
      expect(attrs(span)).not.toHaveProperty(['gen_ai.request.max_tokens']);
      expect(childrenOf(span)).toHaveLength(1);
      expect(attrs(childrenOf(span)[0]!)).toMatchObject({ 'gen_ai.request.model': 'usage:10:20:0:0', 'gen_ai.usage.output_tokens': 20 });
    }

    const broken = serverOf(failed.id);
    expect(broken.name).toBe('chat acme/broken');
    expect(broken.status.code).toBe(2);
    expect(attrs(broken)).toMatchObject({
      'gen_ai.request.model': 'acme/broken',
      'error.type': failed.code,
      'http.response.status_code': failed.status,
      'agora.status': 'error',
    });
    expect(attrs(broken)).not.toHaveProperty(['gen_ai.response.id']);
    const [brokenAttempt] = childrenOf(broken);
    expect(brokenAttempt!.status.code).toBe(2);
    expect(attrs(brokenAttempt!)).toMatchObject({
      'gen_ai.request.model': 'status:500',
      'error.type': expect.any(String),
      'agora.attempt.status': 502,
    });

    const over = serverOf(fallback.id);
    expect(attrs(over)).toMatchObject({
      'gen_ai.request.model': 'acme/fallback',
      'gen_ai.response.model': 'acme/fallback',
      'gen_ai.provider.name': 'backup',
      'agora.attempts': 2,
    });
    const attempts = childrenOf(over).sort((left, right) => (BigInt(left.startTimeUnixNano) < BigInt(right.startTimeUnixNano) ? -1 : 1));
    expect(attempts.map((span) => [attrs(span)['gen_ai.provider.name'], span.status.code])).toEqual([
      ['acme', 2],
      ['backup', 0],
    ]);
    expect(attrs(attempts[0]!)['error.type']).toEqual(expect.stringMatching(/^upstream_/));
    expect(BigInt(attempts[0]!.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(attempts[1]!.startTimeUnixNano));

    // A caller's traceparent: the request's span joins its trace under its span.
    const joined = serverOf(parented.id);
    expect(joined.traceId).toBe(TRACE_ID);
    expect(joined.parentSpanId).toBe(PARENT_SPAN);
    expect(childrenOf(joined)[0]!.traceId).toBe(TRACE_ID);
  });

  it('structured logs carry the generation id', () => {
    const lines = gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const answer of [...plain, ...streamed, fallback]) {
      const line = lines.find((entry) => entry.message === 'request' && entry.generation_id === answer.id);
      expect(line, answer.id).toMatchObject({ level: 'debug', status: 'success', http_status: 200, provider: expect.any(String) });
    }
    expect(lines.find((entry) => entry.message === 'request failed' && entry.generation_id === failed.id)).toMatchObject({
      level: 'info',
      code: failed.code,
      model: 'acme/broken',
    });
    expect(lines.find((entry) => entry.message === 'attempt failed' && entry.generation_id === failed.id)).toMatchObject({
      endpoint: 'acme/broken:acme',
    });
    expect(lines.find((entry) => entry.message === 'attempt failed' && entry.generation_id === fallback.id)).toMatchObject({
      endpoint: 'acme/fallback:acme',
    });
  });
});

describe('telemetry settings', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ name: 'telemetry-settings' });
  });
  afterAll(async () => {
    await upstream?.close();
  });
  const yaml = (telemetry: string) => `bundled_catalog: false
${telemetry}
providers:
  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 0.5, completion: 1.5 } }
`;

  it('require_key asks for an admin key; enabled: false makes /metrics an unknown route; no endpoint, no tracing', async () => {
    const guarded = await startTestGateway({ yaml: yaml('telemetry: { metrics: { require_key: true } }') });
    try {
      expect(guarded.running.gateway.lifecycle.telemetry.tracing).toBe(false);
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      const plainKey = await guarded.createKey();
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${plainKey}` } })).status).toBe(403);
      const scraped = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(scraped.status).toBe(200);
      parsePrometheus(await scraped.text());
      // Tracing off: a request leaves no span notes behind.
      const answer = await guarded
        .client(plainKey)
        .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.id).toMatch(/^gen-/);
    } finally {
      await guarded.close();
    }
    const off = await startTestGateway({ yaml: yaml('telemetry: { metrics: { enabled: false } }') });
    try {
      const response = await fetch(`${off.url}/metrics`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_route');
    } finally {
      await off.close();
    }
  });

  it('samples: sample_ratio 0 traces nothing, except a request whose caller sent a sampled traceparent', async () => {
    const receiver = await startOtlpReceiver();
    const sampled = await startTestGateway({ yaml: yaml(`telemetry: { otlp_endpoint: ${receiver.url}, sample_ratio: 0 }`) });
    try {
      const key = await sampled.createKey();
      const send = (traceparent?: string) =>
        fetch(`${sampled.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
          body: JSON.stringify({ model: 'acme/ok', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await send()).status).toBe(200);
      expect((await send('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00')).status).toBe(200);
      const wanted = await send('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      await sampled.running.gateway.lifecycle.telemetry.flush();
      const servers = receiver.spans.filter((span) => span.kind === 2);
      expect(servers.map((span) => attrs(span)['agora.generation.id'])).toEqual([wanted.headers.get('x-agora-generation-id')]);
      expect(servers[0]!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    } finally {
      await sampled.close();
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });

  it('exports the same spans as OTLP/JSON with otlp_protocol http/json', async () => {
    const receiver = await startOtlpReceiver();
    const json = await startTestGateway({
      yaml: yaml(`telemetry: { otlp_endpoint: ${receiver.url}, otlp_protocol: http/json, service_name: agora-test }`),
    });
    try {
      const answer = await json
        .client(await json.createKey())
        .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, stop: ['END'] });
      await json.running.gateway.lifecycle.telemetry.flush();
      expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/json']));
      const [server, ...rest] = receiver.spans.filter((span) => span.kind === 2);
      expect(rest).toHaveLength(0);
      const client = receiver.spans.find((span) => span.kind === 3);
      expect(client?.parentSpanId).toBe(server!.spanId);
      expect(server!.resource).toMatchObject({ 'service.name': 'agora-test', 'telemetry.sdk.language': 'nodejs' });
      expect(attrs(server!)).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'acme/ok',
        'gen_ai.request.temperature': 0.5,
        'gen_ai.request.stop_sequences': ['END'],
        'gen_ai.usage.input_tokens': answer.usage!.prompt_tokens,
        'agora.generation.id': answer.id,
        'agora.stream': false,
      });
    } finally {
      await json.close();
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });

  it('refuses an OTLP protocol it cannot speak, naming the variable', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    const load = (env: NodeJS.ProcessEnv) =>
      loadConfig({ text: 'bundled_catalog: false\n', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', ...env } }).telemetry
        .otlpProtocol;
    expect(load({})).toBe('http/protobuf');
    // without an endpoint nothing is exported, and the variable is not read
    expect(
      loadConfig({ text: 'bundled_catalog: false\n', env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }).telemetry.otlpTracesUrl,
    ).toBeUndefined();
    expect(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    expect(() => load({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" is not supported: expected http\/protobuf or http\/json/,
    );
    expect(() => loadConfig({ text: 'bundled_catalog: false\ntelemetry: { otlp_protocol: grpc }\n', env: {} })).toThrow(
      /telemetry\.otlp_protocol.*expected http\/protobuf or http\/json/,
    );
  });

  it('reads the standard OTEL_* variables when the file names no endpoint', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    const fromEnv = loadConfig({
      text: 'bundled_catalog: false\n',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc%20def',
        OTEL_SERVICE_NAME: 'gw',
      },
    }).telemetry;
    expect(fromEnv).toEqual({
      metricsEnabled: true,
      metricsRequireKey: false,
      otlpTracesUrl: 'http://collector:4318/v1/traces',
      otlpHeaders: { 'x-token': 'abc def' },
      otlpProtocol: 'http/protobuf',
      traceSampleRatio: 1,
      serviceName: 'gw',
    });
    const disabled = loadConfig({
      text: 'bundled_catalog: false\n',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' },
    }).telemetry;
    expect(disabled.otlpTracesUrl).toBeUndefined();
    expect(loadConfig({ text: 'bundled_catalog: false\n', env: {} }).telemetry.otlpTracesUrl).toBeUndefined();
    const sampled = loadConfig({
      text: 'bundled_catalog: false\n',
      env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
    }).telemetry;
    expect(sampled.traceSampleRatio).toBe(0.25);
    expect(
      loadConfig({ text: 'bundled_catalog: false\ntelemetry: { otlp_endpoint: "http://c:4318/v1/traces" }\n', env: {} }).telemetry
        .otlpTracesUrl,
    ).toBe('http://c:4318/v1/traces');
  });
});
