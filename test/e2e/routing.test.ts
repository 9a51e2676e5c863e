/**
 * One test per OpenRouter routing control, driven by the `openai` SDK against three providers of
 * one model with different prices and facts: `cheap` ($1+$1, fp8, trains on prompts, 4K context,
 * no tools), `mid` ($2+$2, bf16, no training, 32K) and `pricey` ($4+$4, fp16, zero retention, 128K,
 * slow: 50 ms to answer). Each provider is its own fake upstream, so its request count says who served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

type Name = 'cheap' | 'mid' | 'pricey';

describe('routing controls', () => {
  const fakes = {} as Record<Name, FakeUpstream>;
  let gateway: TestGateway;
  let client: OpenAI;
  let apiKey: string;

  beforeAll(async () => {
    for (const name of ['cheap', 'mid', 'pricey'] as const) fakes[name] = await startFakeUpstream({ name });
    const yaml = routingConfig(
      {
        cheap: { url: fakes.cheap.url, extra: 'data_policy: { trains_on_prompts: true, retention_days: 30 }' },
        mid: { url: fakes.mid.url, extra: 'data_policy: { trains_on_prompts: false, retention_days: 7 }' },
        pricey: { url: fakes.pricey.url, extra: 'data_policy: { trains_on_prompts: false, retention_days: 0, zdr: true }' },
        dead: fakes.mid.url,
      },
      {
        'r/chat': [
          {
            provider: 'cheap',
            model: 'ok',
            prompt: 1,
            completion: 1,
            extra: 'context_length: 4096, quantization: fp8, supported_parameters: [temperature, max_tokens, stop]',
          },
          { provider: 'mid', model: 'ok', prompt: 2, completion: 2, extra: 'context_length: 32768, quantization: bf16' },
          {
            provider: 'pricey',
            model: 'slow:50',
            prompt: 4,
            completion: 4,
            extra: 'context_length: 131072, quantization: fp16, max_output: 8192',
          },
        ],
        'r/dead': [{ provider: 'dead', model: 'status:500' }],
        'r/off': [
          { provider: 'mid', model: 'ok', extra: 'status: disabled' },
          { provider: 'pricey', model: 'ok', prompt: 4, completion: 4 },
        ],
      },
    );
    gateway = await startTestGateway({ yaml });
    apiKey = await gateway.createKey('routing');
    client = gateway.client(apiKey);
    // warm-up: give every endpoint live latency and throughput figures
    for (const only of ['cheap', 'mid', 'pricey']) {
      for (let index = 0; index < 4; index++) await ask({ provider: { only: [only] } }, `warm ${only} ${index}`);
    }
  });
  afterAll(async () => {
    await gateway?.close();
    for (const fake of Object.values(fakes)) await fake?.close();
  });

  function ask(extra: Record<string, unknown>, content = `q ${Math.random()}`, model = 'r/chat') {
    return client.chat.completions
      .create({ model, messages: [{ role: 'user', content }], ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
  }
  const servedBy = async (extra: Record<string, unknown>, model = 'r/chat'): Promise<string> =>
    (await ask(extra, undefined, model)).response.headers.get('x-agora-provider')!;
  const failure = (extra: Record<string, unknown>, model = 'r/chat'): Promise<APIError> =>
    ask(extra, undefined, model).then(
      () => {
        throw new Error('expected an error');
      },
      (error: APIError) => error,
    );
  const counts = (): Record<Name, number> => ({
    cheap: fakes.cheap.requests.length,
    mid: fakes.mid.requests.length,
    pricey: fakes.pricey.requests.length,
  });

  it('default: one endpoint picked by inverse square of price (1 : ¼ : 1⁄16), the rest as fallbacks', async () => {
    const before = counts();
    const served = await Promise.all(
      Array.from({ length: 300 }, (_, index) =>
        ask({}, `spread ${index}`).then(({ response }) => response.headers.get('x-agora-provider')),
      ),
    );
    const share = (name: Name): number => served.filter((provider) => provider === name).length / 300;
    expect(share('cheap')).toBeGreaterThan(0.65); // expected 16/21 ≈ 0.76
    expect(share('cheap')).toBeLessThan(0.87);
    expect(share('mid')).toBeGreaterThan(0.1); // expected 4/21 ≈ 0.19
    expect(share('pricey')).toBeLessThan(0.12); // expected 1/21 ≈ 0.05
    expect(counts().cheap - before.cheap).toBe(served.filter((provider) => provider === 'cheap').length);
  });

  it('sort: price and the :floor variant always start with the cheapest', async () => {
    for (let index = 0; index < 5; index++) expect(await servedBy({ provider: { sort: 'price' } })).toBe('cheap');
    for (let index = 0; index < 5; index++) expect(await servedBy({}, 'r/chat:floor')).toBe('cheap');
  });

  it('sort: latency and throughput, and the :nitro variant, use live stats: never the slow endpoint first', async () => {
    for (let index = 0; index < 5; index++) {
      expect(await servedBy({ provider: { sort: 'latency' } })).not.toBe('pricey');
      expect(await servedBy({ provider: { sort: 'throughput' } })).not.toBe('pricey');
      expect(await servedBy({}, 'r/chat:nitro')).not.toBe('pricey');
    }
    const endpoints = (await (await fetch(`${gateway.url}/api/v1/models/r/chat/endpoints`)).json()) as {
      data: { endpoints: Array<Record<string, any>> };
    };
    const view = Object.fromEntries(endpoints.data.endpoints.map((endpoint) => [endpoint.tag, endpoint]));
    expect(view.pricey.latency_last_30m.p50).toBeGreaterThan(view.mid.latency_last_30m.p50);
    expect(view.mid.uptime_last_5m).toBe(100);
    expect(view.cheap).toMatchObject({ quantization: 'fp8', context_length: 4096, data_policy: { trains_on_prompts: true } });
  });

  it('order puts providers first in the given order; allow_fallbacks: false never leaves it', async () => {
    expect(await servedBy({ provider: { order: ['pricey', 'mid'] } })).toBe('pricey');
    fakes.pricey.override = 'status:500';
    expect(await servedBy({ provider: { order: ['pricey', 'mid'] } })).toBe('mid');
    const before = counts();
    const refused = await failure({ provider: { order: ['pricey'], allow_fallbacks: false } });
    expect(refused.status).toBe(502);
    expect(counts().mid).toBe(before.mid);
    expect(counts().cheap).toBe(before.cheap);
    fakes.pricey.override = undefined;
  });

  it('only and ignore', async () => {
    for (let index = 0; index < 5; index++) {
      expect(await servedBy({ provider: { only: ['mid'] } })).toBe('mid');
      expect(await servedBy({ provider: { ignore: ['cheap'], sort: 'price' } })).toBe('mid');
    }
  });

  it('require_parameters keeps only endpoints that honour every parameter sent', async () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    expect(await servedBy({ tools, provider: { sort: 'price', require_parameters: true } })).toBe('mid');
    expect(await servedBy({ tools, provider: { sort: 'price' } })).toBe('cheap'); // without it: best effort
  });

  it('data_collection: deny and zdr filter by data policy', async () => {
    expect(await servedBy({ provider: { sort: 'price', data_collection: 'deny' } })).toBe('mid');
    expect(await servedBy({ provider: { zdr: true } })).toBe('pricey');
  });

  it('quantizations and max_price filter, and an empty result lists which constraint removed which endpoint', async () => {
    expect(await servedBy({ provider: { quantizations: ['bf16'] } })).toBe('mid');
    expect(await servedBy({ provider: { max_price: { prompt: 1.5 } } })).toBe('cheap');
    const none = await failure({ provider: { max_price: { completion: 0.5 } } });
    expect(none.status).toBe(404);
    const excluded = (none.error as { metadata: { excluded_by: Array<{ provider: string; constraint: string }> } }).metadata.excluded_by;
    expect(excluded.map((item) => `${item.provider}:${item.constraint}`).sort()).toEqual([
      'cheap:max_price',
      'mid:max_price',
      'pricey:max_price',
    ]);
    expect(none.message).toContain('completion price');
  });

  it('preferred_max_latency and preferred_min_throughput move endpoints that miss them to the end, not out', async () => {
    expect(await servedBy({ provider: { order: ['pricey', 'mid'], preferred_max_latency: 0.02 } })).toBe('mid');
    expect(await servedBy({ provider: { only: ['pricey'], preferred_max_latency: 0.02 } })).toBe('pricey');
  });

  it('filters by context length and max output; nothing fits → 400 context_length_exceeded', async () => {
    const long = 'word '.repeat(5_000); // ~6K tokens: more than cheap's 4K context
    const { response } = await ask({ provider: { sort: 'price' } }, long);
    expect(response.headers.get('x-agora-provider')).toBe('mid');
    expect(await servedBy({ max_tokens: 10_000, provider: { sort: 'price' } })).toBe('mid'); // past cheap's context and pricey's 8,192 max output
    const huge = await client.chat.completions
      .create({ model: 'r/chat', messages: [{ role: 'user', content: 'word '.repeat(150_000) }] })
      .catch((error: APIError) => error);
    expect((huge as APIError).status).toBe(400);
    expect((huge as APIError).code).toBe('context_length_exceeded');
  });

  it('falls back through the models list, billing and naming the model that answered', async () => {
    const { data } = await client.chat.completions
      .create({
        model: 'r/dead',
        messages: [{ role: 'user', content: 'x' }],
        ...({ models: ['r/chat'], provider: { sort: 'price' } } as object),
      })
      .withResponse();
    expect(data.model).toBe('r/chat');
  });

  it('never routes to an endpoint whose status is disabled', async () => {
    for (let index = 0; index < 4; index++) expect(await servedBy({}, 'r/off')).toBe('pricey');
  });

  it('keeps a conversation on the endpoint that holds its prompt cache, and moves it when that endpoint fails', async () => {
    const system = { role: 'system' as const, content: 'You are a meticulous assistant. '.repeat(60) };
    const turns: OpenAI.ChatCompletionMessageParam[] = [system, { role: 'user', content: 'first question' }];
    const first = await client.chat.completions.create({ model: 'r/chat', messages: turns }).withResponse();
    const home = first.response.headers.get('x-agora-provider')!;
    for (let turn = 0; turn < 8; turn++) {
      turns.push({ role: 'assistant', content: 'an answer' }, { role: 'user', content: `follow-up ${turn}` });
      const next = await client.chat.completions.create({ model: 'r/chat', messages: turns }).withResponse();
      expect(next.response.headers.get('x-agora-provider')).toBe(home);
    }
    fakes[home as Name].override = 'status:503';
    turns.push({ role: 'assistant', content: 'an answer' }, { role: 'user', content: 'after the outage' });
    const moved = await client.chat.completions.create({ model: 'r/chat', messages: turns }).withResponse();
    expect(moved.response.headers.get('x-agora-provider')).not.toBe(home);
    fakes[home as Name].override = undefined;
  });

  it('explains itself: skipped endpoints and tried ones, with status, latency and reason, in the generation record', async () => {
    fakes.mid.override = 'status:500';
    const { data, response } = await ask({ provider: { order: ['mid', 'pricey'], ignore: ['cheap'] } });
    fakes.mid.override = undefined;
    expect(response.headers.get('x-agora-provider')).toBe('pricey');
    expect(response.headers.get('x-agora-attempts')).toBe('2');
    const record = (
      (await (
        await fetch(`${gateway.url}/api/v1/generation?id=${data.id}`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as { data: { attempts: Array<Record<string, unknown>> } }
    ).data;
    expect(record.attempts).toEqual([
      expect.objectContaining({ provider: 'cheap', status: 0, reason: 'skipped:ignore' }),
      expect.objectContaining({ provider: 'mid', status: 502, reason: 'upstream_error' }),
      expect.objectContaining({ provider: 'pricey', status: 200, reason: 'ok' }),
    ]);
    expect(record.attempts[1]!.latency_ms).toBeTypeOf('number');
  });

  it('rejects a malformed provider object with a 400 naming the field', async () => {
    const bad = await failure({ provider: { sort: 'fastest' } });
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('provider.sort');
    expect((await failure({ provider: { colour: 'red' } })).param).toBe('provider.colour');
  });
});
