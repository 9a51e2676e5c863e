/**
 * OpenRouter conformance. OpenRouter's own TypeScript SDK (`@openrouter/sdk`, which validates every
 * answer with zod) against Agora's `/api/v1` routes: every call it makes for chat (plain, streamed,
 * reasoning, tools, `models` fallbacks, `provider` preferences), embeddings, the catalog, credits,
 * keys and generation records, and its typed errors (401, 402, 404, 429, 502) — the values checked,
 * not only that validation passed.
 *
 * Then the same calls without the SDK: `test/fixtures/openrouter/` holds OpenRouter's answers in
 * their documented shape (see its README). The SDK is first replayed against those fixtures (so a
 * fixture that is not OpenRouter's shape fails here), then Agora's raw answer to each call is
 * checked to carry every key of the fixture, recursively and with the same JSON types; a field
 * that drifts is caught even where the SDK would tolerate it. The real OpenRouter model list in
 * `../shared/data/openrouter-models.json` (not part of this repository) is used the same way
 * when it is present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenRouter } from '@openrouter/sdk';
import { HTTPClient } from '@openrouter/sdk/lib/http.js';
import * as errors from '@openrouter/sdk/models/errors';
import type { ChatResult, ChatStreamChunk } from '@openrouter/sdk/models';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const FIXTURES = new URL('../fixtures/openrouter/', import.meta.url);
const SNAPSHOT = new URL('../../../shared/data/openrouter-models.json', import.meta.url);
const REFERER = 'https://conformance.example.com/';
const TITLE = 'Agora conformance';
const HELLO = 'Hello from the fake upstream.';
/** The fake's usage (12 prompt tokens, 2 of them cached, 6 completion) at the cheap endpoint's 0.5 / 0.05 / 1.5 USD per 1M tokens. */
const HELLO_COST = (10 * 0.5 + 2 * 0.05 + 6 * 1.5) / 1e6;
/** The fake's streamed usage reports no cached tokens: 12 prompt, 6 completion. */
const STREAM_COST = (12 * 0.5 + 6 * 1.5) / 1e6;

const fixtureText = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const fixture = (name: string): any => JSON.parse(fixtureText(name));

/** The `data:` payloads of an SSE body, `[DONE]` left out. */
function sseData(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)));
}

const config = (urls: { acme: string; anthropic: string; gemini: string }): string => `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 2000, idle_ms: 2000 }
providers:
  cheap: { name: Cheap Cloud, base_url: ${urls.acme}, api_key_env: ACME_TEST_KEY, jurisdiction: US }
  pricey: { name: Pricey Cloud, base_url: ${urls.acme}, api_key_env: ACME_TEST_KEY }
  claude: { type: anthropic, name: Anthropic, base_url: ${urls.anthropic}, api_key_env: ACME_TEST_KEY }
  gemini: { type: gemini, name: Google AI Studio, base_url: ${urls.gemini}, api_key_env: ACME_TEST_KEY }
models:
  acme/ok:
    name: "Acme: OK"
    description: A scripted model that says hello.
    created: 1761000000
    endpoints:
      - { provider: cheap, model: ok, pricing: { prompt: 0.5, completion: 1.5, cache_read: 0.05 }, context_length: 32768, max_output: 4096, quantization: fp8 }
      - { provider: pricey, model: ok, pricing: { prompt: 2, completion: 4 }, context_length: 65536 }
  acme/idle:
    endpoints:
      - { provider: cheap, model: ok, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768, supported_parameters: [temperature, max_tokens] }
  acme/bare:
    endpoints:
      - { provider: cheap, model: bare, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/reasoning:
    endpoints:
      - { provider: cheap, model: reasoning, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/tools:
    endpoints:
      - { provider: cheap, model: tools, pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/down:
    endpoints:
      - { provider: cheap, model: "status:500", pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/dies:
    endpoints:
      - { provider: cheap, model: "die-after:2", pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }
  acme/embed:
    kind: embedding
    endpoints:
      - { provider: cheap, model: embed, pricing: { prompt: 2, completion: 0 }, context_length: 8192 }
  m/anthropic:
    endpoints:
      - { provider: claude, model: ok, pricing: { prompt: 1, completion: 1 }, context_length: 200000 }
  m/gemini:
    endpoints:
      - { provider: gemini, model: ok, pricing: { prompt: 1, completion: 1 }, context_length: 1000000 }
`;

describe('OpenRouter conformance', () => {
  let upstream: FakeUpstream;
  let anthropic: AnthropicFake;
  let gemini: GeminiFake;
  let gateway: TestGateway;
  /** A prepaid key ($10) for the calls whose values are checked. */
  let user: { key: string; id: string; account: string };

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  async function newKey(body: Record<string, unknown>): Promise<{ key: string; id: string; account: string }> {
    const created = await admin('POST', '/api/v1/keys', { name: 'conformance', ...body });
    expect(created.status).toBe(201);
    return { key: created.json.key, id: created.json.data.id, account: created.json.data.workspace_id };
  }

  /** The SDK pointed at Agora (or at `serverURL`), with no retries: a 5xx must surface as its typed error. */
  const sdk = (apiKey: string, serverURL = `${gateway.url}/api/v1`, httpClient?: HTTPClient): OpenRouter =>
    new OpenRouter({
      apiKey,
      serverURL,
      retryConfig: { strategy: 'none' },
      httpReferer: REFERER,
      appTitle: TITLE,
      ...(httpClient ? { httpClient } : {}),
    });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    anthropic = await startAnthropicFake();
    gemini = await startGeminiFake();
    gateway = await startTestGateway({ yaml: config({ acme: upstream.url, anthropic: anthropic.url, gemini: gemini.url }) });
    user = await newKey({ credit: 10 });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await anthropic?.close();
    await gemini?.close();
  });

  const hi = [{ role: 'user' as const, content: 'Hi' }];
  const weather = {
    type: 'function' as const,
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  };

  describe('through @openrouter/sdk', () => {
    it('chat: a whole answer, with OpenRouter’s fields and the cost', async () => {
      const answer = (await sdk(user.key).chat.send({
        chatRequest: { model: 'acme/ok', messages: hi, provider: { only: ['cheap'] } },
      })) as ChatResult;
      expect(answer.object).toBe('chat.completion');
      expect(answer.id).toMatch(/^gen-/);
      expect(answer.model).toBe('acme/ok');
      expect(answer.systemFingerprint).toBe('fp_fake'); // the upstream's, passed on
      expect(answer.choices[0]!.message).toMatchObject({ role: 'assistant', content: HELLO });
      expect(answer.choices[0]!.finishReason).toBe('stop');
      expect(answer.usage).toMatchObject({ promptTokens: 12, completionTokens: 6, totalTokens: 18, isByok: false });
      expect(answer.usage!.cost).toBeCloseTo(HELLO_COST, 12);
      expect(
        answer.usage!.costDetails!.upstreamInferencePromptCost + answer.usage!.costDetails!.upstreamInferenceCompletionsCost,
      ).toBeCloseTo(HELLO_COST, 12);
    });

    it('chat: system_fingerprint is null when the upstream sent none (a bare OpenAI-compatible server, Anthropic, Gemini)', async () => {
      const client = sdk(user.key);
      const answers = await Promise.all(
        [
          ['acme/bare', HELLO],
          ['m/anthropic', 'Hello from Claude.'],
          ['m/gemini', 'Hello from Gemini.'],
        ].map(
          async ([model, text]) =>
            [(await client.chat.send({ chatRequest: { model: model!, messages: hi } })) as ChatResult, text] as const,
        ),
      );
      for (const [answer, text] of answers) {
        expect(answer.systemFingerprint).toBeNull();
        expect(answer.choices[0]!.message.content).toBe(text);
        expect(answer.usage!.cost).toBeGreaterThan(0);
      }
    });

    it('chat: a stream, chunk by chunk, ending with the usage and its cost', async () => {
      const stream = (await sdk(user.key).chat.send({
        chatRequest: { model: 'acme/ok', messages: hi, stream: true, provider: { only: ['cheap'] } },
      })) as unknown as AsyncIterable<ChatStreamChunk>;
      const chunks: ChatStreamChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(chunks[0]!.id).toMatch(/^gen-/);
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'acme/ok')).toBe(true);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(HELLO);
      expect(chunks.find((chunk) => chunk.choices[0]?.finishReason)?.choices[0]?.finishReason).toBe('stop');
      const last = chunks[chunks.length - 1]!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ promptTokens: 12, completionTokens: 6, totalTokens: 18 });
      expect(last.usage!.cost).toBeCloseTo(STREAM_COST, 12);
    });

    it('chat: streams from the native Anthropic and Gemini adapters pass the SDK’s chunk schema too', async () => {
      for (const [model, text] of [
        ['m/anthropic', 'Hello from Claude.'],
        ['m/gemini', 'Hello from Gemini.'],
      ] as const) {
        const stream = (await sdk(user.key).chat.send({
          chatRequest: { model, messages: hi, stream: true },
        })) as unknown as AsyncIterable<ChatStreamChunk>;
        const chunks: ChatStreamChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), model).toBe(text);
        expect(chunks[chunks.length - 1]!.usage!.cost, model).toBeGreaterThan(0);
      }
    });

    it('chat: a stream that fails after its first byte ends with OpenRouter’s error chunk', async () => {
      const stream = (await sdk(user.key).chat.send({
        chatRequest: { model: 'acme/dies', messages: hi, stream: true },
      })) as unknown as AsyncIterable<ChatStreamChunk>;
      const chunks: ChatStreamChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const last = chunks[chunks.length - 1]!;
      expect(last.error).toMatchObject({ code: 502, metadata: { errorType: 'provider_unavailable' } });
      expect(last.choices[0]!.finishReason).toBe('error');
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello from');
    });

    it('chat: reasoning comes back as message.reasoning with typed reasoning_details', async () => {
      const answer = (await sdk(user.key).chat.send({
        chatRequest: { model: 'acme/reasoning', messages: hi, reasoning: { effort: 'low' } },
      })) as ChatResult;
      const message = answer.choices[0]!.message;
      expect(message.content).toBe('Hi!');
      expect(message.reasoning).toBe('The user greets me; reply briefly.');
      // The SDK parses an unknown detail as {isUnknown: true}: these are its typed reasoning.text.
      expect(message.reasoningDetails).toEqual([
        { type: 'reasoning.text', text: 'The user greets me; reply briefly.', format: 'unknown', index: 0 },
      ]);
      expect(upstream.requests[upstream.requests.length - 1]!.body.reasoning_effort).toBe('low');
    });

    it('chat: tools, and the tool call back', async () => {
      const answer = (await sdk(user.key).chat.send({
        chatRequest: {
          model: 'acme/tools',
          messages: [{ role: 'user', content: 'Weather in Paris?' }],
          tools: [weather],
          toolChoice: 'auto',
        },
      })) as ChatResult;
      expect(answer.choices[0]!.finishReason).toBe('tool_calls');
      const [call] = answer.choices[0]!.message.toolCalls!;
      expect(call).toEqual({ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
      const sent = upstream.requests[upstream.requests.length - 1]!.body;
      expect(sent.tools).toEqual([weather]);
      expect(sent.tool_choice).toBe('auto');
    });

    it('chat: `models` fallbacks answer from the next model, and the record shows both attempts', async () => {
      const client = sdk(user.key);
      const answer = (await client.chat.send({ chatRequest: { models: ['acme/down', 'acme/ok'], messages: hi } })) as ChatResult;
      expect(answer.model).toBe('acme/ok');
      expect(answer.choices[0]!.message.content).toBe(HELLO);
      const record = (await client.generations.getGeneration({ id: answer.id })).data;
      expect(record.model).toBe('acme/ok');
      expect(record.providerResponses!.map((attempt) => [attempt.modelPermaslug, attempt.status])).toEqual([
        ['acme/down', 502],
        ['acme/ok', 200],
      ]);
    });

    it('chat: `provider` preferences pick the endpoint (order, only, ignore), as the record says', async () => {
      const client = sdk(user.key);
      const served = async (provider: Record<string, unknown>): Promise<string | null> => {
        const answer = (await client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi, provider } })) as ChatResult;
        return (await client.generations.getGeneration({ id: answer.id })).data.providerName;
      };
      expect(await served({ order: ['pricey'] })).toBe('Pricey Cloud');
      expect(await served({ only: ['cheap'] })).toBe('Cheap Cloud');
      expect(await served({ ignore: ['cheap'] })).toBe('Pricey Cloud');
      expect(await served({ sort: 'price' })).toBe('Cheap Cloud');
    });

    it('embeddings: the vector and the cost', async () => {
      const answer = await sdk(user.key).embeddings.generate({ requestBody: { model: 'acme/embed', input: 'hello' } });
      if (typeof answer === 'string') throw new Error(`expected JSON, got text: ${answer}`);
      expect(answer.object).toBe('list');
      expect(answer.model).toBe('acme/embed');
      expect(answer.data[0]!.embedding).toEqual([0.1, 0.2, 0.3]);
      expect(answer.usage!.promptTokens).toBeGreaterThan(0);
      expect(answer.usage!.cost).toBeCloseTo((answer.usage!.promptTokens * 2) / 1e6, 12);
    });

    it('models: the catalog in OpenRouter’s shape, text models by default, paged with links.next', async () => {
      const client = sdk(user.key);
      const page = await client.models.list();
      const models = page.result.data;
      expect(models.map((model) => model.id).sort()).toEqual([
        'acme/bare',
        'acme/dies',
        'acme/down',
        'acme/idle',
        'acme/ok',
        'acme/reasoning',
        'acme/tools',
        'm/anthropic',
        'm/gemini',
      ]);
      expect(page.result.totalCount).toBe(9);
      expect(page.result.links.next).toBeNull();
      const ok = models.find((model) => model.id === 'acme/ok')!;
      expect(ok).toMatchObject({
        canonicalSlug: 'acme/ok',
        name: 'Acme: OK',
        created: 1761000000,
        description: 'A scripted model that says hello.',
        contextLength: 65536,
        architecture: { modality: 'text->text', inputModalities: ['text'], outputModalities: ['text'], instructType: null },
        pricing: { prompt: '0.0000005', completion: '0.0000015', inputCacheRead: '0.00000005', request: '0' },
        topProvider: { contextLength: 32768, maxCompletionTokens: 4096, isModerated: false },
        perRequestLimits: null,
        defaultParameters: null,
        links: { details: '/api/v1/models/acme/ok/endpoints' },
        supportedVoices: null,
      });
      expect(ok.supportedParameters).toEqual(expect.arrayContaining(['temperature', 'tools', 'tool_choice', 'max_tokens']));
      expect(ok.supportedParameters).toEqual([...ok.supportedParameters].sort());
      const withTools = await client.models.list({ supportedParameters: 'tools,tool_choice' });
      expect(withTools.result.data.map((model) => model.id)).not.toContain('acme/idle');
      expect(withTools.result.totalCount).toBe(8);
      const embeddings = await client.models.list({ outputModalities: 'embeddings' });
      expect(embeddings.result.data.map((model) => model.id)).toEqual(['acme/embed']);
      expect(embeddings.result.data[0]!.architecture.outputModalities).toEqual(['embeddings']);
      // One model a page: links.next names the next page, and the SDK's iterator follows it.
      const first = await client.models.list({ limit: 3 });
      expect(first.result.data).toHaveLength(3);
      expect(first.result.links.next).toBe('/api/v1/models?offset=3&limit=3');
      const second = await first.next();
      expect(second?.result.data.map((model) => model.id)).toEqual(models.slice(3, 6).map((model) => model.id));
    });

    it('endpoints: every endpoint with its facts, percentiles as OpenRouter reports them', async () => {
      const client = sdk(user.key);
      // Traffic on both endpoints, so both have live stats.
      for (const order of [['cheap'], ['pricey']])
        await client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi, provider: { order } } });
      const { data } = await client.endpoints.list({ author: 'acme', slug: 'ok' });
      expect(data).toMatchObject({
        id: 'acme/ok',
        name: 'Acme: OK',
        created: 1761000000,
        description: 'A scripted model that says hello.',
        architecture: {
          modality: 'text->text',
          inputModalities: ['text'],
          outputModalities: ['text'],
          tokenizer: null,
          instructType: null,
        },
      });
      const cheap = data.endpoints.find((endpoint) => endpoint.tag === 'cheap')!;
      expect(cheap).toMatchObject({
        name: 'Cheap Cloud: Acme: OK',
        modelId: 'acme/ok',
        modelName: 'Acme: OK',
        providerName: 'Cheap Cloud',
        contextLength: 32768,
        maxCompletionTokens: 4096,
        maxPromptTokens: null,
        quantization: 'fp8',
        status: 0,
        pricing: { prompt: '0.0000005', completion: '0.0000015', inputCacheRead: '0.00000005', request: '0' },
        supportsImplicitCaching: true,
        supportsToolChoice: { auto: true, none: true, required: true, function: true },
        supportsVoiceCloning: false,
      });
      const pricey = data.endpoints.find((endpoint) => endpoint.tag === 'pricey')!;
      expect(pricey.supportsImplicitCaching).toBe(false); // no cache-read price listed
      for (const endpoint of [cheap, pricey]) {
        expect(endpoint.uptimeLast5m).toBe(100);
        for (const stats of [endpoint.latencyLast30m!, endpoint.throughputLast30m!]) {
          expect(Object.keys(stats).sort()).toEqual(['p50', 'p75', 'p90', 'p99']);
          expect(stats.p50).toBeGreaterThan(0);
          expect(stats.p50 <= stats.p75 && stats.p75 <= stats.p90 && stats.p90 <= stats.p99).toBe(true);
        }
      }
    });

    it('endpoints: a model with no traffic reports null percentiles, as OpenRouter does', async () => {
      const { data } = await sdk(user.key).endpoints.list({ author: 'acme', slug: 'idle' });
      expect(data.endpoints[0]).toMatchObject({ latencyLast30m: null, throughputLast30m: null, uptimeLast5m: null, uptimeLast1d: null });
    });

    it('credits, key: the account and the key, in OpenRouter’s fields, equal to what was charged', async () => {
      const key = await newKey({ credit: 5, limit: 2 });
      const client = sdk(key.key);
      for (let index = 0; index < 3; index++)
        await client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi, provider: { only: ['cheap'] } } });
      const spent = 3 * HELLO_COST;
      const credits = (await client.credits.getCredits()).data;
      expect(credits.totalCredits).toBe(5);
      expect(credits.totalUsage).toBeCloseTo(spent, 12);
      const current = (await client.apiKeys.getCurrentKeyMetadata()).data;
      expect(current).toMatchObject({
        label: expect.stringMatching(/…|\.\.\./),
        limit: 2,
        limitReset: null,
        includeByokInLimit: false,
        byokUsage: 0,
        byokUsageDaily: 0,
        byokUsageWeekly: 0,
        byokUsageMonthly: 0,
        isFreeTier: false,
        isManagementKey: false,
        isProvisioningKey: false,
        creatorUserId: null,
        organizationId: null,
        workspaceId: key.account,
        rateLimit: { requests: -1, interval: '1m' },
        freeModelDailyRequests: { limit: 0, remaining: 0, used: 0 },
      });
      for (const usage of [current.usage, current.usageDaily, current.usageWeekly, current.usageMonthly])
        expect(usage).toBeCloseTo(spent, 12);
      expect(current.limitRemaining).toBeCloseTo(2 - spent, 12);
      const limited = (await sdk((await newKey({ rpm: 7, limit_daily: 1 })).key).apiKeys.getCurrentKeyMetadata()).data;
      expect(limited).toMatchObject({ limit: 1, limitReset: 'daily', limitRemaining: 1, rateLimit: { requests: 7, interval: '1m' } });
      expect((await sdk(MASTER_KEY).apiKeys.getCurrentKeyMetadata()).data).toMatchObject({ isManagementKey: true, workspaceId: null });
    });

    it('keys: create, list, update and delete with a management key', async () => {
      const client = sdk(MASTER_KEY);
      const created = await client.apiKeys.create({ requestBody: { name: 'sdk-made', limit: 5, includeByokInLimit: false } });
      expect(created.key).toMatch(/^sk-agora-/);
      expect(created.data).toMatchObject({
        name: 'sdk-made',
        limit: 5,
        limitRemaining: 5,
        limitReset: null,
        disabled: false,
        usage: 0,
        usageWeekly: 0,
      });
      const hash = created.data.hash;
      expect((await client.apiKeys.list()).data.find((key) => key.hash === hash)).toMatchObject({
        name: 'sdk-made',
        workspaceId: created.data.workspaceId,
      });
      // The new key works at once, and reads itself back.
      expect((await sdk(created.key).apiKeys.getCurrentKeyMetadata()).data).toMatchObject({
        limit: 5,
        workspaceId: created.data.workspaceId,
      });
      expect((await client.apiKeys.get({ hash })).data).toMatchObject({ hash, name: 'sdk-made', limit: 5, disabled: false });
      await expect(client.apiKeys.get({ hash: 'key_does_not_exist' })).rejects.toBeInstanceOf(errors.NotFoundResponseError);
      const updated = await client.apiKeys.update({ hash, requestBody: { name: 'sdk-renamed', limit: 2, limitReset: 'daily' } });
      expect(updated.data).toMatchObject({ hash, name: 'sdk-renamed', limit: 5, limitReset: null });
      expect((await admin('GET', '/api/v1/keys')).json.data.find((key: any) => key.hash === hash)).toMatchObject({
        limit_daily: 2,
        limit: 5,
      });
      const daily = await client.apiKeys.create({ requestBody: { name: 'sdk-daily', limit: 3, limitReset: 'monthly' } });
      expect(daily.data).toMatchObject({ limit: 3, limitReset: 'monthly' });
      await expect(client.apiKeys.create({ requestBody: { name: 'weekly', limit: 1, limitReset: 'weekly' } })).rejects.toBeInstanceOf(
        errors.BadRequestResponseError,
      );
      expect(await client.apiKeys.delete({ hash })).toEqual({ deleted: true });
      expect((await client.apiKeys.list({ includeDisabled: false })).data.some((key) => key.hash === hash)).toBe(false);
      expect((await client.apiKeys.list()).data.find((key) => key.hash === hash)?.disabled).toBe(true);
      await expect(sdk(created.key).apiKeys.getCurrentKeyMetadata()).rejects.toBeInstanceOf(errors.UnauthorizedResponseError);
    });

    it('generation: the record in OpenRouter’s fields, plain and streamed', async () => {
      const client = sdk(user.key);
      const answer = (await client.chat.send({
        chatRequest: { model: 'acme/ok', messages: hi, provider: { only: ['cheap'] } },
      })) as ChatResult;
      const record = (await client.generations.getGeneration({ id: answer.id })).data;
      expect(record).toMatchObject({
        id: answer.id,
        upstreamId: expect.stringMatching(/^chatcmpl-/),
        model: 'acme/ok',
        providerName: 'Cheap Cloud',
        apiType: 'completions',
        streamed: false,
        cancelled: false,
        finishReason: 'stop',
        nativeFinishReason: 'stop',
        tokensPrompt: 12,
        tokensCompletion: 6,
        nativeTokensPrompt: 12,
        nativeTokensCompletion: 6,
        nativeTokensCached: 2,
        nativeTokensReasoning: 0,
        isByok: false,
        dataRegion: 'global',
        origin: REFERER,
        httpReferer: REFERER,
        appId: null,
        generationTime: null,
        moderationLatency: null,
        workspaceId: user.account,
      });
      expect(record.usage).toBeCloseTo(answer.usage!.cost!, 12);
      expect(record.totalCost).toBe(record.usage);
      expect(record.upstreamInferenceCost).toBe(record.usage);
      expect(record.latency).toBeGreaterThanOrEqual(0);
      expect(record.providerResponses).toEqual([
        {
          endpointId: 'acme/ok:cheap',
          modelPermaslug: 'acme/ok',
          providerName: 'Cheap Cloud',
          status: 200,
          latency: expect.any(Number),
          isByok: false,
        },
      ]);
      const stream = (await client.chat.send({
        chatRequest: { model: 'acme/ok', messages: hi, stream: true, provider: { only: ['cheap'] } },
      })) as unknown as AsyncIterable<ChatStreamChunk>;
      let id = '';
      for await (const chunk of stream) id = chunk.id;
      const streamed = (await client.generations.getGeneration({ id })).data;
      expect(streamed).toMatchObject({ id, streamed: true, finishReason: 'stop', tokensCompletion: 6 });
      expect(streamed.generationTime).toBeGreaterThanOrEqual(0);
      expect(streamed.generationTime).toBeLessThanOrEqual(streamed.latency!);
    });

    describe('typed errors', () => {
      const chat = (apiKey: string, model: string) => sdk(apiKey).chat.send({ chatRequest: { model, messages: hi } });
      const caught = async (call: Promise<unknown>): Promise<any> =>
        call.then(
          (value) => {
            throw new Error(`expected an error, got ${JSON.stringify(value).slice(0, 200)}`);
          },
          (error: unknown) => error,
        );

      it('401 UnauthorizedResponseError', async () => {
        const error = await caught(chat('sk-agora-not-a-real-key', 'acme/ok'));
        expect(error).toBeInstanceOf(errors.UnauthorizedResponseError);
        expect(error.statusCode).toBe(401);
        expect(error.error).toMatchObject({ code: 401, metadata: { error_type: 'authentication', reason: 'invalid_api_key' } });
        expect(error.message).not.toContain('sk-agora-not-a-real-key');
      });

      it('402 PaymentRequiredResponseError, with the balance and the amount needed', async () => {
        const broke = await newKey({ credit: 0 });
        const error = await caught(chat(broke.key, 'acme/ok'));
        expect(error).toBeInstanceOf(errors.PaymentRequiredResponseError);
        expect(error.error).toMatchObject({
          code: 402,
          metadata: { error_type: 'payment_required', reason: 'insufficient_credits', limit_source: 'credits', balance: 0 },
        });
        expect(error.error.metadata.needed).toBeGreaterThan(0);
      });

      it('404 NotFoundResponseError, with close matches; also for an unknown model’s endpoints', async () => {
        const error = await caught(chat(user.key, 'acme/okk'));
        expect(error).toBeInstanceOf(errors.NotFoundResponseError);
        expect(error.error).toMatchObject({ code: 404, metadata: { error_type: 'not_found', reason: 'model_not_found' } });
        expect(error.error.message).toContain('acme/ok');
        const endpoints = await caught(sdk(user.key).endpoints.list({ author: 'acme', slug: 'nope' }));
        expect(endpoints).toBeInstanceOf(errors.NotFoundResponseError);
        expect(endpoints.error.code).toBe(404);
      });

      it('429 TooManyRequestsResponseError, with Retry-After', async () => {
        const limited = await newKey({ rpm: 1 });
        await chat(limited.key, 'acme/ok');
        const error = await caught(chat(limited.key, 'acme/ok'));
        expect(error).toBeInstanceOf(errors.TooManyRequestsResponseError);
        expect(error.error).toMatchObject({ code: 429, metadata: { error_type: 'rate_limit_exceeded', limit_source: 'rpm', limit: 1 } });
        expect(Number(error.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      });

      it('502 BadGatewayResponseError, naming the provider', async () => {
        const error = await caught(chat(user.key, 'acme/down'));
        expect(error).toBeInstanceOf(errors.BadGatewayResponseError);
        expect(error.error).toMatchObject({ code: 502, metadata: { error_type: 'provider_unavailable', provider_name: 'Cheap Cloud' } });
        expect(error.error.message).toContain('fake upstream says 500');
        expect(error.message).not.toContain('CANARY');
      });

      it('the same errors on embeddings; OpenAI’s shape stays on /v1', async () => {
        const error = await caught(sdk(user.key).embeddings.generate({ requestBody: { model: 'acme/nope', input: 'x' } }));
        expect(error).toBeInstanceOf(errors.NotFoundResponseError);
        const openai = await fetch(`${gateway.url}/v1/embeddings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'acme/nope', input: 'x' }),
        });
        expect(openai.status).toBe(404);
        expect(((await openai.json()) as any).error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
      });
    });
  });

  /**
   * One call each way: what the SDK sends (`run`), and the same request as plain HTTP (`raw`), with
   * the fixture holding OpenRouter's answer to it.
   */
  interface Call {
    name: string;
    fixture: string;
    status?: number;
    /** Typed error the SDK must raise for this call (error fixtures). */
    rejects?: new (...args: any[]) => Error;
    run: (client: OpenRouter, context: CallContext) => Promise<unknown>;
    raw: (context: CallContext) => Promise<{ method: string; path: string; key: string; body?: unknown }>;
  }

  interface CallContext {
    /** A key of the kind the call needs; for the fixture server any string. */
    key: string;
    /** Agora's side: builds what a call needs (a generation id, a key to change). */
    live: boolean;
  }

  const chatBody = (extra: Record<string, unknown>) => ({ model: 'acme/ok', messages: hi, ...extra });
  const CALLS: Call[] = [
    {
      name: 'chat',
      fixture: 'chat-completion.json',
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi } }),
      raw: async (context) => ({ method: 'POST', path: '/api/v1/chat/completions', key: context.key, body: chatBody({}) }),
    },
    {
      name: 'chat with reasoning',
      fixture: 'chat-reasoning.json',
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/reasoning', messages: hi, reasoning: { effort: 'low' } } }),
      raw: async (context) => ({
        method: 'POST',
        path: '/api/v1/chat/completions',
        key: context.key,
        body: chatBody({ model: 'acme/reasoning', reasoning: { effort: 'low' } }),
      }),
    },
    {
      name: 'chat with tools',
      fixture: 'chat-tools.json',
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/tools', messages: hi, tools: [weather] } }),
      raw: async (context) => ({
        method: 'POST',
        path: '/api/v1/chat/completions',
        key: context.key,
        body: chatBody({ model: 'acme/tools', tools: [weather] }),
      }),
    },
    {
      name: 'embeddings',
      fixture: 'embeddings.json',
      run: (client) => client.embeddings.generate({ requestBody: { model: 'acme/embed', input: 'hello' } }),
      raw: async (context) => ({
        method: 'POST',
        path: '/api/v1/embeddings',
        key: context.key,
        body: { model: 'acme/embed', input: 'hello' },
      }),
    },
    {
      name: 'models',
      fixture: 'models.json',
      run: (client) => client.models.list(),
      raw: async (context) => ({ method: 'GET', path: '/api/v1/models?offset=0&limit=500', key: context.key }),
    },
    {
      name: 'endpoints',
      fixture: 'endpoints.json',
      run: (client) => client.endpoints.list({ author: 'acme', slug: 'ok' }),
      raw: async (context) => {
        // Traffic on both endpoints first: OpenRouter's uptime and percentiles are then numbers, as in the fixture.
        for (const only of ['cheap', 'pricey'])
          await send({
            method: 'POST',
            path: '/api/v1/chat/completions',
            key: context.key,
            body: chatBody({ provider: { only: [only] } }),
          });
        return { method: 'GET', path: '/api/v1/models/acme/ok/endpoints', key: context.key };
      },
    },
    {
      name: 'credits',
      fixture: 'credits.json',
      run: (client) => client.credits.getCredits(),
      raw: async (context) => ({ method: 'GET', path: '/api/v1/credits', key: context.key }),
    },
    {
      name: 'key',
      fixture: 'key.json',
      run: (client) => client.apiKeys.getCurrentKeyMetadata(),
      // A key with a monthly limit, as in the fixture (limit and limit_reset are null on a key without one).
      raw: async () => ({ method: 'GET', path: '/api/v1/key', key: (await newKey({ credit: 1, limit_monthly: 20 })).key }),
    },
    {
      name: 'keys: list',
      fixture: 'keys-list.json',
      run: (client) => client.apiKeys.list(),
      raw: async () => ({ method: 'GET', path: '/api/v1/keys', key: MASTER_KEY }),
    },
    {
      name: 'keys: create',
      fixture: 'keys-create.json',
      status: 201,
      run: (client) => client.apiKeys.create({ requestBody: { name: 'Production Key', limit: 20 } }),
      raw: async () => ({ method: 'POST', path: '/api/v1/keys', key: MASTER_KEY, body: { name: 'Production Key', limit: 20 } }),
    },
    {
      name: 'keys: update',
      fixture: 'keys-update.json',
      run: (client) => client.apiKeys.update({ hash: 'f01d52606dc8', requestBody: { name: 'Updated Key' } }),
      raw: async () => ({ method: 'PATCH', path: `/api/v1/keys/${(await newKey({})).id}`, key: MASTER_KEY, body: { name: 'Updated Key' } }),
    },
    {
      name: 'keys: delete',
      fixture: 'keys-delete.json',
      run: (client) => client.apiKeys.delete({ hash: 'f01d52606dc8' }),
      raw: async () => ({ method: 'DELETE', path: `/api/v1/keys/${(await newKey({})).id}`, key: MASTER_KEY }),
    },
    {
      name: 'generation',
      fixture: 'generation.json',
      run: (client) => client.generations.getGeneration({ id: 'gen-1761033541-9Qm2ZxV8kTnLw4RbJc0A' }),
      raw: async (context) => {
        const answer = await fetch(`${gateway.url}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${context.key}`, 'content-type': 'application/json', 'http-referer': REFERER },
          body: JSON.stringify(chatBody({})),
        });
        const { id } = (await answer.json()) as { id: string };
        return { method: 'GET', path: `/api/v1/generation?id=${id}`, key: context.key };
      },
    },
    {
      name: 'error 401',
      fixture: 'error-401.json',
      status: 401,
      rejects: errors.UnauthorizedResponseError,
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi } }),
      raw: async () => ({ method: 'POST', path: '/api/v1/chat/completions', key: 'sk-agora-not-a-real-key', body: chatBody({}) }),
    },
    {
      name: 'error 402',
      fixture: 'error-402.json',
      status: 402,
      rejects: errors.PaymentRequiredResponseError,
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi } }),
      raw: async () => ({ method: 'POST', path: '/api/v1/chat/completions', key: (await newKey({ credit: 0 })).key, body: chatBody({}) }),
    },
    {
      name: 'error 404',
      fixture: 'error-404.json',
      status: 404,
      rejects: errors.NotFoundResponseError,
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/unknown-model', messages: hi } }),
      raw: async (context) => ({
        method: 'POST',
        path: '/api/v1/chat/completions',
        key: context.key,
        body: chatBody({ model: 'acme/unknown-model' }),
      }),
    },
    {
      name: 'error 429',
      fixture: 'error-429.json',
      status: 429,
      rejects: errors.TooManyRequestsResponseError,
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/ok', messages: hi } }),
      raw: async () => {
        const { key } = await newKey({ rpm: 1 });
        await fetch(`${gateway.url}/api/v1/key`, { headers: { authorization: `Bearer ${key}` } }); // key routes are not rate limited
        await fetch(`${gateway.url}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(chatBody({})),
        });
        return { method: 'POST', path: '/api/v1/chat/completions', key, body: chatBody({}) };
      },
    },
    {
      name: 'error 502',
      fixture: 'error-502.json',
      status: 502,
      rejects: errors.BadGatewayResponseError,
      run: (client) => client.chat.send({ chatRequest: { model: 'acme/down', messages: hi } }),
      raw: async (context) => ({
        method: 'POST',
        path: '/api/v1/chat/completions',
        key: context.key,
        body: chatBody({ model: 'acme/down' }),
      }),
    },
  ];

  /**
   * Keys OpenRouter documents as nullable or optional that Agora sends as null or leaves out, each
   * with the reason. Anything else missing, null where OpenRouter sends a value, or of another
   * JSON type fails.
   */
  const MAY_BE_NULL: Record<string, string> = {
    // models
    'data[].hugging_face_id': 'nullable; set only when the config names the model’s Hugging Face id',
    'data[].default_parameters': 'nullable; Agora adds no default parameters and does not know the upstream’s',
    'data[].knowledge_cutoff': 'nullable; the catalog has no knowledge cutoffs',
    'data[].top_provider.max_completion_tokens': 'nullable; unknown when the config gives no max_output',
    // endpoints
    'data.architecture.tokenizer': 'nullable in the endpoints schema; Agora does not know tokenizers',
    'data.endpoints[].max_completion_tokens': 'nullable; unknown when the config gives no max_output',
    // key, keys
    'data.creator_user_id': 'nullable; Agora keeps no users',
    'data[].limit': 'nullable: a key without a spend limit',
    'data[].limit_remaining': 'nullable: a key without a spend limit',
    'data.limit': 'nullable: a key without a spend limit',
    'data.limit_remaining': 'nullable: a key without a spend limit',
    // generation
    'data.app_id': 'nullable; Agora attributes apps by HTTP-Referer and X-Title, with no numeric app id',
    'data.generation_time': 'nullable; known for streams only (Agora sees no first token inside a JSON answer)',
    'data.user_agent': 'nullable; Agora does not record user agents',
    'data.request_id': 'optional and nullable; one request is one generation in Agora',
  };
  const MAY_BE_ABSENT: Record<string, string> = {
    'choices[].logprobs': 'optional; passed on as the upstream sent it (or left out)',
    'choices[].delta.role': 'optional; deltas are passed on as the upstream sent them (OpenAI names the role in the first only)',
    'usage.prompt_tokens_details': 'optional; token details are the upstream’s, present when it reports them',
    'usage.completion_tokens_details': 'optional; token details are the upstream’s, present when it reports them',
    'data[].pricing.input_cache_read': 'optional; sent for an endpoint with a cache-read price',
    'data.endpoints[].pricing.input_cache_read': 'optional; sent for an endpoint with a cache-read price',
    'data[].architecture.tokenizer':
      'optional and not nullable in the SDK’s Model schema; Agora does not know tokenizers (the endpoints route sends null)',
    'data.provider_responses[].id': 'optional; Agora keeps no upstream id per attempt (the answer’s is the record’s upstream_id)',
  };

  /** Every way `live` falls short of `documented`: missing keys, nulls and JSON types, recursively (array items against every fixture item). */
  function shortfalls(documented: unknown, live: unknown, path = ''): string[] {
    if (documented === null) return []; // documented as nullable: any value, or null
    const kind = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
    if (live === null || live === undefined)
      return MAY_BE_NULL[path] ? [] : [`${path}: ${kind(live)} where OpenRouter sends ${kind(documented)}`];
    if (kind(documented) !== kind(live)) return [`${path}: ${kind(live)} where OpenRouter sends ${kind(documented)}`];
    if (Array.isArray(documented)) {
      const items = live as unknown[];
      if (documented.length > 0 && items.length === 0) return [`${path}: an empty array where OpenRouter sends items`];
      return items.flatMap((item) => documented.flatMap((expected) => shortfalls(expected, item, `${path}[]`)));
    }
    if (typeof documented !== 'object') return [];
    const object = live as Record<string, unknown>;
    return Object.entries(documented as Record<string, unknown>).flatMap(([key, value]) => {
      const child = path === '' ? key : `${path}.${key}`;
      if (!(key in object)) return MAY_BE_ABSENT[child] ? [] : [`${child}: missing`];
      return shortfalls(value, object[key], child);
    });
  }

  async function send(request: { method: string; path: string; key: string; body?: unknown }): Promise<{ status: number; json: any }> {
    const response = await fetch(`${gateway.url}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${request.key}`, 'content-type': 'application/json', 'http-referer': REFERER, 'x-title': TITLE },
      body: request.body === undefined ? null : JSON.stringify(request.body),
    });
    return { status: response.status, json: await response.json() };
  }

  describe('fixtures: OpenRouter’s documented answers', () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      // Serves the fixture a request names in `x-fixture`, with the call's status.
      server = createServer((request, response) => {
        request.resume();
        const call = CALLS.find((entry) => entry.fixture === request.headers['x-fixture']);
        const name = call?.fixture ?? String(request.headers['x-fixture']);
        response.writeHead(call?.status ?? 200, { 'content-type': name.endsWith('.sse') ? 'text/event-stream' : 'application/json' });
        response.end(fixtureText(name));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const against = (name: string): OpenRouter => {
      const client = new HTTPClient();
      client.addHook('beforeRequest', (request) => {
        request.headers.set('x-fixture', name);
        return request;
      });
      return sdk('sk-or-v1-fixture', url, client);
    };

    it.each(CALLS.map((call) => [call.name, call] as const))('the SDK accepts the %s fixture', async (_name, call) => {
      const result = call.run(against(call.fixture), { key: 'sk-or-v1-fixture', live: false });
      if (call.rejects) {
        const error = await result.then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(call.rejects);
        expect((error as { error: { code: number } }).error.code).toBe(call.status);
      } else {
        await expect(result).resolves.toBeDefined();
      }
    });

    it('the SDK accepts the streamed fixture, chunk by chunk', async () => {
      const stream = (await against('chat-stream.sse').chat.send({
        chatRequest: { model: 'acme/ok', messages: hi, stream: true },
      })) as unknown as AsyncIterable<ChatStreamChunk>;
      const chunks: ChatStreamChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks).toHaveLength(sseData(fixtureText('chat-stream.sse')).length);
    });

    it('the checker catches drift: a missing key, a null, a string code', () => {
      expect(shortfalls({ a: { b: 1, c: [{ d: 'x' }] } }, { a: { c: [{}] } })).toEqual(['a.b: missing', 'a.c[].d: missing']);
      expect(shortfalls({ error: { code: 404 } }, { error: { code: 'model_not_found' } })).toEqual([
        'error.code: string where OpenRouter sends number',
      ]);
      expect(shortfalls({ usage: { cost: 1 } }, { usage: null })).toEqual(['usage: null where OpenRouter sends object']);
      expect(shortfalls({ x: null }, { x: 3 })).toEqual([]);
    });
  });

  describe('Agora’s raw answers carry every key of OpenRouter’s', () => {
    it.each(CALLS.map((call) => [call.name, call] as const))('%s', async (_name, call) => {
      const request = await call.raw({ key: user.key, live: true });
      const { status, json } = await send(request);
      expect(status).toBe(call.status ?? 200);
      expect(shortfalls(fixture(call.fixture), json)).toEqual([]);
    });

    it('chat stream: the content chunks and the closing usage chunk', async () => {
      const response = await fetch(`${gateway.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody({ stream: true })),
      });
      const chunks = sseData(await response.text());
      const documented = sseData(fixtureText('chat-stream.sse'));
      const content = documented[0];
      // The finishing chunk's delta may be empty (its content is optional and it adds none).
      const finishing = {
        ...documented.find((chunk) => chunk.choices[0]?.finish_reason),
        choices: [{ ...documented[0].choices[0], delta: {} }],
      };
      const usage = documented[documented.length - 1];
      const kinds = { content: 0, finishing: 0 };
      for (const chunk of chunks.slice(0, -1)) {
        const finished = chunk.choices[0]?.finish_reason !== null;
        kinds[finished ? 'finishing' : 'content']++;
        expect(shortfalls(finished ? finishing : content, chunk)).toEqual([]);
      }
      expect(kinds.content).toBeGreaterThan(1);
      expect(kinds.finishing).toBe(1);
      expect(shortfalls(usage, chunks[chunks.length - 1])).toEqual([]);
      // Optional in OpenRouter's chunk schema but never null there.
      for (const chunk of chunks) expect(chunk.usage === null || chunk.system_fingerprint === null).toBe(false);
    });

    it.skipIf(!existsSync(SNAPSHOT))(
      `every key every model has in OpenRouter’s real list (${existsSync(SNAPSHOT) ? 'shared/data/openrouter-models.json' : 'skipped: ../shared/data/openrouter-models.json is not there'})`,
      async () => {
        const real = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as { data: Array<Record<string, unknown>> };
        // The keys all 371 models share, recursively (values differ between models, so only presence is checked).
        const common = (objects: Array<Record<string, unknown>>): Record<string, unknown> =>
          Object.fromEntries(
            Object.keys(objects[0]!)
              .filter((key) => objects.every((object) => key in object))
              .map((key) => {
                const values = objects.map((object) => object[key]);
                const nested = values.every((value) => typeof value === 'object' && value !== null && !Array.isArray(value));
                return [key, nested ? common(values as Array<Record<string, unknown>>) : null];
              }),
          );
        const documented = common(real.data);
        const { json } = await send({ method: 'GET', path: '/api/v1/models?output_modalities=all', key: user.key });
        for (const model of json.data as Array<Record<string, unknown>>)
          expect(shortfalls({ data: [documented] }, { data: [model] })).toEqual([]);
        expect(Object.keys(documented)).toEqual(
          expect.arrayContaining(['default_parameters', 'links', 'per_request_limits', 'supported_parameters']),
        );
      },
    );
  });
});
