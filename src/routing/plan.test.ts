/**
 * Guards the planner (routing/plan.ts) over a real catalog built from YAML: which endpoints a
 * request may use (every exclusion names its constraint), in which order they are attempted
 * (provider.order, sorts, :nitro / :floor, OpenRouter's inverse-square-of-price pick), where
 * failing endpoints go (recently failing behind stable ones, open circuits last as a last resort,
 * rate-limited ones not at all), the errors a client sees (503/429 with Retry-After, 404 with close
 * matches, 400 for the wrong kind of model) and the `models` fallback list.
 * Health is fed with explicit times; the random pick is tested over 2,000 plans with wide bounds.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CatalogSnapshot } from '../catalog/snapshot.js';
import { loadConfig } from '../config/load.js';
import { AgoraError } from '../contract/errors.js';
import { HealthRegistry } from './health.js';
import { Planner, type Plan, type PlanRequest } from './plan.js';
import { StickyRoutes } from './stickiness.js';

// Blended price (prompt + completion, USD per 1M): cheap 2, mid 4, pricey 8; `off` (1) is switched off.
// Endpoints are listed out of price order on purpose: the catalog keeps them cheapest first.
const YAML = `
bundled_catalog: false
providers:
  cheap: { base_url: "http://127.0.0.1:9/v1", api_key: sk-test-cheap-0001 }
  mid: { base_url: "http://127.0.0.1:9/v1", api_key: sk-test-mid-0001 }
  pricey: { base_url: "http://127.0.0.1:9/v1", api_key: sk-test-pricey-0001 }
  off: { base_url: "http://127.0.0.1:9/v1", enabled: false }
  keyless: { base_url: "http://127.0.0.1:9/v1", api_key_env: KEYLESS_API_KEY }
models:
  acme/chat:
    endpoints:
      - provider: pricey
        model: chat
        pricing: { prompt: 4, completion: 4 }
        quantization: fp16
        context_length: 128000
        supported_parameters: [temperature, max_tokens]
      - provider: cheap
        model: chat
        pricing: { prompt: 1, completion: 1 }
        quantization: fp8
        context_length: 8000
        supported_parameters: [temperature, max_tokens]
      - provider: off
        model: chat
        pricing: { prompt: 0.5, completion: 0.5 }
      - provider: mid
        model: chat
        pricing: { prompt: 2, completion: 2 }
        quantization: bf16
        context_length: 32000
        supported_parameters: [temperature, max_tokens, tools]
  acme/chat-large:
    endpoints:
      - provider: cheap
        model: large
        pricing: { prompt: 5, completion: 5 }
      - provider: mid
        model: large
        pricing: { prompt: 3, completion: 3 }
  acme/embed:
    kind: embedding
    endpoints:
      - provider: cheap
        model: embed
        pricing: { prompt: 0.1, completion: 0 }
  acme/solo:
    endpoints:
      - provider: keyless
        model: solo
        pricing: { prompt: 1, completion: 1 }
  acme/retired:
    endpoints:
      - provider: cheap
        model: retired
        pricing: { prompt: 1, completion: 1 }
        status: disabled
      - provider: mid
        model: retired
        pricing: { prompt: 2, completion: 2 }
`;

const snapshot = new CatalogSnapshot(loadConfig({ text: YAML, env: {} }));
afterAll(() => snapshot.close());

/** 2024-05-01 12:00:00 UTC. */
const T = Date.UTC(2024, 4, 1, 12);

let planner: Planner;
let health: HealthRegistry;

beforeEach(() => {
  health = new HealthRegistry();
  planner = new Planner(snapshot, health, new StickyRoutes(300_000));
});

function request(overrides: Partial<PlanRequest> = {}): PlanRequest {
  return {
    modelIds: ['acme/chat'],
    kind: 'chat',
    provider: undefined,
    body: {},
    promptTokensEstimate: 100,
    maxTokens: undefined,
    ...overrides,
  };
}

/** The attempted endpoint keys, in order. */
function keys(plan: Plan): string[] {
  return plan.attempts.map((attempt) => attempt.endpoint.key);
}

/** The planner's error for `overrides` (fails the test when it plans instead). */
function planError(overrides: Partial<PlanRequest>, now = T): AgoraError {
  try {
    planner.plan(request(overrides), now);
  } catch (error) {
    expect(error).toBeInstanceOf(AgoraError);
    return error as AgoraError;
  }
  throw new Error('expected the planner to refuse the request');
}

/** Opens an endpoint's circuit at `now` (5 consecutive failures: open for 30 s). */
function openCircuit(key: string, now: number): void {
  const endpoint = health.get(key);
  for (let index = 0; index < 5; index++) endpoint.failure(now);
}

describe('the catalog the planner reads', () => {
  it('keeps endpoints cheapest first, with inverse-square weights', () => {
    const entry = snapshot.get('acme/chat')!;
    expect(entry.endpoints.map((endpoint) => endpoint.key)).toEqual([
      'acme/chat:off',
      'acme/chat:cheap',
      'acme/chat:mid',
      'acme/chat:pricey',
    ]);
    // 1 / 2² = 0.25, 1 / 4² = 0.0625, 1 / 8² = 0.015625.
    expect(entry.endpoints.slice(1).map((endpoint) => endpoint.weight)).toEqual([0.25, 0.0625, 0.015625]);
  });
});

describe('filters', () => {
  it('exclude a provider that is switched off, naming it', () => {
    const plan = planner.plan(request({ provider: { sort: 'price' } }), T);
    expect(keys(plan)).toEqual(['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey']);
    expect(plan.excluded).toEqual([
      { endpoint: 'acme/chat:off', provider: 'off', constraint: 'provider_disabled', detail: 'disabled in the config file' },
    ]);
  });

  it('answer 503 no_available_provider when every provider is switched off, naming the variable to set', () => {
    const error = planError({ modelIds: ['acme/solo'] });
    expect(error.status).toBe(503);
    expect(error.code).toBe('no_available_provider');
    expect(error.metadata!.excluded_by).toEqual([
      { endpoint: 'acme/solo:keyless', provider: 'keyless', constraint: 'provider_disabled', detail: 'set KEYLESS_API_KEY to enable it' },
    ]);
  });

  it('exclude an endpoint whose status is disabled', () => {
    const plan = planner.plan(request({ modelIds: ['acme/retired'] }), T);
    expect(keys(plan)).toEqual(['acme/retired:mid']);
    expect(plan.excluded).toEqual([
      { endpoint: 'acme/retired:cheap', provider: 'cheap', constraint: 'status', detail: 'endpoint is disabled' },
    ]);
  });

  it('keep only the providers in provider.only', () => {
    const plan = planner.plan(request({ provider: { only: ['mid'] } }), T);
    expect(keys(plan)).toEqual(['acme/chat:mid']);
    expect(plan.excluded.filter((item) => item.constraint === 'only').map((item) => item.provider)).toEqual(['cheap', 'pricey']);
  });

  it('drop the providers in provider.ignore', () => {
    const plan = planner.plan(request({ provider: { ignore: ['cheap'], sort: 'price' } }), T);
    expect(keys(plan)).toEqual(['acme/chat:mid', 'acme/chat:pricey']);
    expect(plan.excluded).toContainEqual({
      endpoint: 'acme/chat:cheap',
      provider: 'cheap',
      constraint: 'ignore',
      detail: 'in provider.ignore',
    });
  });

  it('keep only the listed quantizations', () => {
    const plan = planner.plan(request({ provider: { quantizations: ['bf16', 'fp16'], sort: 'price' } }), T);
    expect(keys(plan)).toEqual(['acme/chat:mid', 'acme/chat:pricey']);
    expect(plan.excluded).toContainEqual({
      endpoint: 'acme/chat:cheap',
      provider: 'cheap',
      constraint: 'quantization',
      detail: 'quantization fp8 is not in provider.quantizations',
    });
  });

  it('drop endpoints above max_price, keeping one exactly at it', () => {
    // mid's prompt price is 2 = the maximum: kept; pricey's 4 > 2: excluded.
    const plan = planner.plan(request({ provider: { max_price: { prompt: 2 }, sort: 'price' } }), T);
    expect(keys(plan)).toEqual(['acme/chat:cheap', 'acme/chat:mid']);
    expect(plan.excluded).toContainEqual({
      endpoint: 'acme/chat:pricey',
      provider: 'pricey',
      constraint: 'max_price',
      detail: 'prompt price 4 > max_price.prompt 2 (USD per 1M tokens)',
    });
    const byCompletion = planner.plan(request({ provider: { max_price: { completion: 1 } } }), T);
    expect(keys(byCompletion)).toEqual(['acme/chat:cheap']);
  });

  it('drop endpoints whose context cannot hold the prompt plus max_tokens, keeping an exact fit', () => {
    // cheap has 8,000: 7,000 + 1,000 = 8,000 fits; 7,000 + 1,001 = 8,001 does not.
    const fits = planner.plan(request({ promptTokensEstimate: 7_000, maxTokens: 1_000, provider: { sort: 'price' } }), T);
    expect(keys(fits)[0]).toBe('acme/chat:cheap');
    const over = planner.plan(request({ promptTokensEstimate: 7_000, maxTokens: 1_001, provider: { sort: 'price' } }), T);
    expect(keys(over)).toEqual(['acme/chat:mid', 'acme/chat:pricey']);
    expect(over.excluded).toContainEqual({
      endpoint: 'acme/chat:cheap',
      provider: 'cheap',
      constraint: 'context_length',
      detail: 'needs ~8001 tokens (prompt ~7000 + max_tokens 1001), context is 8000',
    });
  });

  it('answer 400 context_length_exceeded when no endpoint can hold the request', () => {
    const error = planError({ promptTokensEstimate: 200_000 });
    expect(error.status).toBe(400);
    expect(error.code).toBe('context_length_exceeded');
  });

  it('with require_parameters, drop endpoints that do not support a requested parameter', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }], temperature: 0.2 };
    const strict = planner.plan(request({ body, provider: { require_parameters: true } }), T);
    expect(keys(strict)).toEqual(['acme/chat:mid']);
    expect(strict.excluded).toContainEqual({
      endpoint: 'acme/chat:cheap',
      provider: 'cheap',
      constraint: 'parameters',
      detail: 'does not support tools',
    });
    // Without it, the parameter does not filter.
    expect(planner.plan(request({ body }), T).attempts).toHaveLength(3);
  });

  it('answer 404 no_endpoints_match when the constraints leave nothing', () => {
    const error = planError({ provider: { only: ['nobody'] } });
    expect(error.status).toBe(404);
    expect(error.code).toBe('no_endpoints_match');
  });
});

describe('ordering', () => {
  it('follows provider.order, then the rest', () => {
    expect(keys(planner.plan(request({ provider: { order: ['pricey', 'mid'] } }), T))).toEqual([
      'acme/chat:pricey',
      'acme/chat:mid',
      'acme/chat:cheap',
    ]);
  });

  it('with allow_fallbacks false, keeps only the providers in provider.order', () => {
    const plan = planner.plan(request({ provider: { order: ['pricey', 'mid'], allow_fallbacks: false } }), T);
    expect(keys(plan)).toEqual(['acme/chat:pricey', 'acme/chat:mid']);
    expect(plan.excluded).toContainEqual(expect.objectContaining({ endpoint: 'acme/chat:cheap', constraint: 'order' }));
  });

  it('sorts by price, cheapest first (also :floor)', () => {
    const expected = ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey'];
    expect(keys(planner.plan(request({ provider: { sort: 'price' } }), T))).toEqual(expected);
    const floor = planner.plan(request({ modelIds: ['acme/chat:floor'] }), T);
    expect(keys(floor)).toEqual(expected);
    expect(floor.attempts.every((attempt) => attempt.modelId === 'acme/chat')).toBe(true);
  });

  it('sorts by measured throughput, fastest first (also :nitro)', () => {
    health.get('acme/chat:cheap').success(T, 500, 50);
    health.get('acme/chat:mid').success(T, 500, 200);
    health.get('acme/chat:pricey').success(T, 500, 100);
    const expected = ['acme/chat:mid', 'acme/chat:pricey', 'acme/chat:cheap'];
    expect(keys(planner.plan(request({ provider: { sort: 'throughput' } }), T))).toEqual(expected);
    expect(keys(planner.plan(request({ modelIds: ['acme/chat:nitro'] }), T))).toEqual(expected);
  });

  it('puts endpoints without throughput measurements after measured ones, cheapest first', () => {
    health.get('acme/chat:pricey').success(T, 500, 100);
    expect(keys(planner.plan(request({ provider: { sort: 'throughput' } }), T))).toEqual([
      'acme/chat:pricey',
      'acme/chat:cheap',
      'acme/chat:mid',
    ]);
  });

  it('sorts by measured latency (time to first token), quickest first', () => {
    health.get('acme/chat:cheap').success(T, 300);
    health.get('acme/chat:mid').success(T, 900);
    health.get('acme/chat:pricey').success(T, 100);
    expect(keys(planner.plan(request({ provider: { sort: 'latency' } }), T))).toEqual([
      'acme/chat:pricey',
      'acme/chat:cheap',
      'acme/chat:mid',
    ]);
  });

  it('keeps only the first sorted endpoint when allow_fallbacks is false', () => {
    expect(keys(planner.plan(request({ provider: { sort: 'price', allow_fallbacks: false } }), T))).toEqual(['acme/chat:cheap']);
  });

  it('by default picks the first endpoint at random, weighted by the inverse square of the price', () => {
    // Weights 1/2² = 0.25, 1/4² = 0.0625, 1/8² = 0.015625; total 0.328125.
    // P(cheap) = 0.25 / 0.328125 = 16/21 ≈ 0.762, P(mid) = 4/21 ≈ 0.190, P(pricey) = 1/21 ≈ 0.048.
    // Over 2,000 plans the standard deviations are ≈ 19, 18 and 9.5 plans; the bounds below are
    // ≥ 5 standard deviations wide, and they exclude inverse-price (4/7, 2/7, 1/7) and uniform picks.
    const runs = 2_000;
    const first = new Map<string, number>();
    for (let run = 0; run < runs; run++) {
      const order = keys(planner.plan(request(), T));
      first.set(order[0]!, (first.get(order[0]!) ?? 0) + 1);
      // The others stay behind it, cheapest first.
      const rest = ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey'].filter((key) => key !== order[0]);
      expect(order.slice(1)).toEqual(rest);
    }
    const share = (key: string) => (first.get(key) ?? 0) / runs;
    expect(share('acme/chat:cheap')).toBeGreaterThan(0.7);
    expect(share('acme/chat:cheap')).toBeLessThan(0.82);
    expect(share('acme/chat:mid')).toBeGreaterThan(0.14);
    expect(share('acme/chat:mid')).toBeLessThan(0.24);
    expect(share('acme/chat:pricey')).toBeGreaterThan(0.02);
    expect(share('acme/chat:pricey')).toBeLessThan(0.08);
  });
});

describe('health', () => {
  it('puts an endpoint with an open circuit last, as a last resort', () => {
    openCircuit('acme/chat:cheap', T);
    const plan = planner.plan(request({ provider: { sort: 'price' } }), T + 1_000);
    expect(keys(plan)).toEqual(['acme/chat:mid', 'acme/chat:pricey', 'acme/chat:cheap']);
    // It is not excluded: it is still tried when everything before it failed.
    expect(plan.excluded.map((item) => item.endpoint)).toEqual(['acme/chat:off']);
  });

  it('keeps an open circuit last under the random default too', () => {
    openCircuit('acme/chat:cheap', T);
    for (let run = 0; run < 200; run++) expect(keys(planner.plan(request(), T + 1_000))[2]).toBe('acme/chat:cheap');
  });

  it('puts a recently failing endpoint behind stable ones and ahead of open circuits', () => {
    // Two failures in the last 30 s (100 % of its recent requests): recently out, circuit still closed.
    health.get('acme/chat:cheap').failure(T);
    health.get('acme/chat:cheap').failure(T);
    openCircuit('acme/chat:pricey', T);
    expect(keys(planner.plan(request({ provider: { sort: 'price' } }), T + 1_000))).toEqual([
      'acme/chat:mid',
      'acme/chat:cheap',
      'acme/chat:pricey',
    ]);
  });

  it('does not send to an endpoint cooling down after a 429, and says why', () => {
    health.get('acme/chat:cheap').rateLimited(T, 10);
    const plan = planner.plan(request({ provider: { sort: 'price' } }), T + 1_000);
    expect(keys(plan)).toEqual(['acme/chat:mid', 'acme/chat:pricey']);
    expect(plan.excluded).toContainEqual({
      endpoint: 'acme/chat:cheap',
      provider: 'cheap',
      constraint: 'rate_limited',
      detail: 'cooling down after a 429',
    });
  });

  it('answers 503 with Retry-After of the soonest reopening when every circuit is open', () => {
    openCircuit('acme/chat:cheap', T); // reopens at T + 30 s
    openCircuit('acme/chat:mid', T + 5_000); // T + 35 s
    openCircuit('acme/chat:pricey', T + 10_000); // T + 40 s
    // At T + 12.5 s the soonest reopening is 17.5 s away: Retry-After 18.
    const error = planError({}, T + 12_500);
    expect(error.status).toBe(503);
    expect(error.code).toBe('all_endpoints_unavailable');
    expect(error.headers).toEqual({ 'retry-after': '18' });
    expect(error.retryable).toBe(false);
  });

  it('answers 429 when every endpoint is cooling down after a 429', () => {
    for (const key of ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey']) health.get(key).rateLimited(T, 10);
    // At T + 2.5 s the cool-downs end in 7.5 s: Retry-After 8.
    const error = planError({}, T + 2_500);
    expect(error.status).toBe(429);
    expect(error.code).toBe('upstream_rate_limited');
    expect(error.headers).toEqual({ 'retry-after': '8' });
  });

  it('answers Retry-After of at least 1 s', () => {
    for (const key of ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey']) openCircuit(key, T);
    // 100 ms before they reopen: ceil(0.1) = 1.
    expect(planError({}, T + 29_900).headers).toEqual({ 'retry-after': '1' });
  });

  // Found by this suite: a half-open probe answered 429 used to keep its probe slot forever, so once
  // every endpoint's probe met a 429 the model answered 503 for good.
  it('plans again once the cool-downs of probes answered 429 have passed', () => {
    const all = ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey'];
    for (const key of all) openCircuit(key, T);
    for (const key of all) {
      health.get(key).begin(T + 30_000); // each probe …
      health.get(key).rateLimited(T + 30_000, 1); // … is answered 429, Retry-After: 1
    }
    // Ten minutes later: every cool-down (1 s) and ejection (30 s) is long over.
    // Actual: 503 all_endpoints_unavailable, Retry-After: 1, at every later time.
    const plan = planner.plan(request({ provider: { sort: 'price' } }), T + 630_000);
    expect(keys(plan)).toEqual(all);
  });

  it('admits a circuit again once its ejection has passed (as a probe, behind stable endpoints)', () => {
    for (const key of ['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey']) openCircuit(key, T);
    const plan = planner.plan(request({ provider: { sort: 'price' } }), T + 30_000);
    expect(keys(plan)).toEqual(['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey']);
  });
});

describe('models', () => {
  it('answers 404 with close matches for an unknown model', () => {
    const error = planError({ modelIds: ['acme/chta'] });
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
    expect(error.metadata).toMatchObject({ requested_models: ['acme/chta'], close_matches: ['acme/chat'] });
    expect(error.message).toBe("The model 'acme/chta' does not exist. Did you mean: acme/chat?");
  });

  it('answers 400 for a model of the wrong kind', () => {
    const embedAsChat = planError({ modelIds: ['acme/embed'], kind: 'chat' });
    expect(embedAsChat.status).toBe(400);
    expect(embedAsChat.code).toBe('wrong_endpoint');
    expect(embedAsChat.param).toBe('model');
    expect(embedAsChat.message).toContain('/v1/embeddings');
    const chatAsEmbed = planError({ modelIds: ['acme/chat'], kind: 'embedding' });
    expect(chatAsEmbed.status).toBe(400);
    expect(chatAsEmbed.message).toContain('/v1/chat/completions');
  });

  it("appends the next model's endpoints from the models fallback list", () => {
    const plan = planner.plan(request({ modelIds: ['acme/chat', 'acme/chat-large'], provider: { sort: 'price' } }), T);
    // acme/chat-large: mid (3 + 3 = 6) is cheaper than cheap (5 + 5 = 10).
    expect(keys(plan)).toEqual(['acme/chat:cheap', 'acme/chat:mid', 'acme/chat:pricey', 'acme/chat-large:mid', 'acme/chat-large:cheap']);
    expect(plan.attempts.map((attempt) => attempt.modelId)).toEqual([
      'acme/chat',
      'acme/chat',
      'acme/chat',
      'acme/chat-large',
      'acme/chat-large',
    ]);
  });

  it('serves from the fallback model when the first cannot hold the request', () => {
    // 200,000 tokens fit no acme/chat endpoint (at most 128,000); acme/chat-large has no context limit.
    const plan = planner.plan(
      request({ modelIds: ['acme/chat', 'acme/chat-large'], promptTokensEstimate: 200_000, provider: { sort: 'price' } }),
      T,
    );
    expect(keys(plan)).toEqual(['acme/chat-large:mid', 'acme/chat-large:cheap']);
    expect(plan.excluded.filter((item) => item.constraint === 'context_length')).toHaveLength(3);
  });
});
