/**
 * The LiteLLM importer: the join rule on hand-picked hard cases (versions, `-Instruct`, `-Turbo`,
 * quantized names, case, Fireworks' names, ambiguous), the price conversion, the report; then the
 * real price map in ../shared (skipped, with a message, when that folder is absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { ResolvedConfig } from '../../config/types.js';
import { importLiteLLM, normaliseName } from './litellm.js';

const PROVIDERS = ['together', 'fireworks', 'deepinfra', 'groq', 'sambanova', 'lambda', 'novita', 'hyperbolic', 'cerebras', 'nebius'];

function catalog(models: Record<string, Record<string, unknown>>): ResolvedConfig {
  const providers = Object.fromEntries(PROVIDERS.map((id) => [id, { base_url: `https://${id}.example/v1` }]));
  return loadConfig({ text: 'bundled_catalog: false\n', env: {}, synced: { authors: {}, providers, models } });
}

const MODELS = {
  'deepseek/deepseek-r1': { hugging_face_id: 'deepseek-ai/DeepSeek-R1', aliases: ['deepseek-r1-671b'] },
  'deepseek/deepseek-r1-0528': { hugging_face_id: 'deepseek-ai/DeepSeek-R1-0528' },
  'deepseek/deepseek-r1-distill-llama-70b': { hugging_face_id: 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B' },
  'deepseek/deepseek-chat-v3.1': { hugging_face_id: 'deepseek-ai/DeepSeek-V3.1' },
  'meta-llama/llama-3.3-70b-instruct': { hugging_face_id: 'meta-llama/Llama-3.3-70B-Instruct', aliases: ['llama-3.3-70b-versatile'] },
  'meta-llama/llama-3.1-8b-instruct': {
    hugging_face_id: 'meta-llama/Llama-3.1-8B-Instruct',
    aliases: ['meta-llama/Meta-Llama-3.1-8B-Instruct'],
  },
  'qwen/qwen3-235b-a22b': { hugging_face_id: 'Qwen/Qwen3-235B-A22B' },
  'qwen/qwen3-235b-a22b-2507': { hugging_face_id: 'Qwen/Qwen3-235B-A22B-Instruct-2507' },
  'qwen/qwen3-embedding-8b': { kind: 'embedding', hugging_face_id: 'Qwen/Qwen3-Embedding-8B' },
  'acme/model-a': { aliases: ['shared-name'] },
  'acme/model-b': { aliases: ['shared-name'] },
};

/** A LiteLLM chat entry priced 1/2 USD per 1M tokens unless told otherwise. */
function chat(provider: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { litellm_provider: provider, mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, ...extra };
}

function run(entries: Record<string, unknown>, models: Record<string, Record<string, unknown>> = MODELS) {
  const result = importLiteLLM(entries, { catalog: catalog(models) });
  const joined = new Map<string, { model: string; endpoint: Record<string, unknown> }>();
  for (const [model, body] of Object.entries(result.document.models ?? {})) {
    for (const endpoint of body.endpoints ?? []) joined.set(`${String(endpoint.provider)} ${String(endpoint.model)}`, { model, endpoint });
  }
  const reasons = new Map(result.unmatched.map((item) => [item.name, item.reason]));
  return { result, joined, reasons };
}

describe('normaliseName', () => {
  it('treats separators alike, splits letters from digits, reads Fireworks versions and drops a v before a number', () => {
    expect(normaliseName('llama-v3p3-70b-instruct').key).toBe(normaliseName('Llama-3.3-70B-Instruct').key);
    expect(normaliseName('Meta-Llama-3_3-70B-Instruct').key).toBe(normaliseName('Meta-Llama-3.3-70B-Instruct').key);
    expect(normaliseName('deepseek-v3p1').key).toBe(normaliseName('DeepSeek-V3.1').key);
    expect(normaliseName('qwen2p5-72b-instruct').key).toBe('qwen 2 5 72 b instruct');
    expect(normaliseName('llama3.3-70b-instruct').key).toBe(normaliseName('Llama-3.3-70B-Instruct').key);
  });

  it('drops quantization tokens and records the first one the schema knows', () => {
    expect(normaliseName('Llama-4-Maverick-17B-128E-Instruct-FP8')).toEqual({
      key: normaliseName('Llama-4-Maverick-17B-128E-Instruct').key,
      quantization: 'fp8',
      tierDropped: false,
    });
    expect(normaliseName('Qwen3-32B-AWQ')).toMatchObject({ key: 'qwen 3 32 b', quantization: undefined });
    expect(normaliseName('model-bf16').quantization).toBe('bf16');
    expect(normaliseName('model-int4').quantization).toBe('int4');
  });

  it('keeps versions, dates and variants, and drops a serving tier only when asked and only at the end', () => {
    const key = (name: string, tiers: string[] = []): string => normaliseName(name, tiers).key;
    expect(key('DeepSeek-R1-0528')).not.toBe(key('DeepSeek-R1'));
    expect(key('Llama-3.3-70B')).not.toBe(key('Llama-3.3-70B-Instruct'));
    expect(key('DeepSeek-R1-Distill-Llama-70B')).not.toBe(key('DeepSeek-R1'));
    expect(key('Qwen3-235B-A22B-Instruct-2507')).not.toBe(key('Qwen3-235B-A22B'));
    expect(key('Mistral-7B-Instruct-v3')).not.toBe(key('Mistral-7B-Instruct-v0.3'));
    expect(key('Llama-3.3-70B-Instruct-Turbo')).not.toBe(key('Llama-3.3-70B-Instruct'));
    expect(key('Llama-3.3-70B-Instruct-Turbo', ['turbo'])).toBe(key('Llama-3.3-70B-Instruct'));
    expect(key('Llama-3.3-70B-Instruct-Turbo-Free', ['turbo'])).not.toBe(key('Llama-3.3-70B-Instruct'));
  });
});

describe('importLiteLLM: the join rule', () => {
  it('joins by Hugging Face id and never across versions or variants', () => {
    const { joined, reasons } = run({
      'together_ai/deepseek-ai/DeepSeek-R1': chat('together_ai'),
      'together_ai/deepseek-ai/DeepSeek-R1-0528-tput': chat('together_ai'),
      'deepinfra/deepseek-ai/DeepSeek-R1-Distill-Llama-70B': chat('deepinfra'),
      'deepinfra/Qwen/Qwen3-235B-A22B-Instruct-2507': chat('deepinfra'),
      'cerebras/llama-3.3-70b': chat('cerebras'),
      'deepinfra/deepseek-ai/DeepSeek-R1-Zero': chat('deepinfra'),
    });
    expect(joined.get('together deepseek-ai/DeepSeek-R1')?.model).toBe('deepseek/deepseek-r1');
    expect(joined.get('together deepseek-ai/DeepSeek-R1-0528-tput')?.model).toBe('deepseek/deepseek-r1-0528');
    expect(joined.get('deepinfra deepseek-ai/DeepSeek-R1-Distill-Llama-70B')?.model).toBe('deepseek/deepseek-r1-distill-llama-70b');
    expect(joined.get('deepinfra Qwen/Qwen3-235B-A22B-Instruct-2507')?.model).toBe('qwen/qwen3-235b-a22b-2507');
    // The base name is not the instruct model, and an unknown variant is not its base: both reported, never guessed.
    expect(reasons.get('cerebras/llama-3.3-70b')).toMatch(/no catalog model/);
    expect(reasons.get('deepinfra/deepseek-ai/DeepSeek-R1-Zero')).toMatch(/no catalog model/);
    expect(joined.size).toBe(4);
  });

  it('is case-insensitive, reads Fireworks names (prefix, v3p1 spelling) and keeps the prefix the host expects', () => {
    const { joined } = run({
      'novita/META-LLAMA/LLAMA-3.3-70B-INSTRUCT': chat('novita'),
      'fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct': chat('fireworks_ai'),
      'fireworks_ai/deepseek-v3p1': chat('fireworks_ai'),
      'fireworks_ai/accounts/fireworks/models/deepseek-r1-0528': chat('fireworks_ai'),
    });
    expect(joined.get('novita META-LLAMA/LLAMA-3.3-70B-INSTRUCT')?.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(joined.get('fireworks accounts/fireworks/models/llama-v3p3-70b-instruct')?.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(joined.get('fireworks accounts/fireworks/models/deepseek-v3p1')?.model).toBe('deepseek/deepseek-chat-v3.1');
    expect(joined.get('fireworks accounts/fireworks/models/deepseek-r1-0528')?.model).toBe('deepseek/deepseek-r1-0528');
  });

  it('joins bare names and aliases (Groq, SambaNova, Lambda) and old Hugging Face names', () => {
    const { joined } = run({
      'groq/llama-3.3-70b-versatile': chat('groq'),
      'sambanova/DeepSeek-R1': chat('sambanova'),
      'lambda_ai/deepseek-r1-671b': chat('lambda_ai'),
      'deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct': chat('deepinfra'),
    });
    expect(joined.get('groq llama-3.3-70b-versatile')?.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(joined.get('sambanova DeepSeek-R1')?.model).toBe('deepseek/deepseek-r1');
    expect(joined.get('lambda deepseek-r1-671b')?.model).toBe('deepseek/deepseek-r1');
    expect(joined.get('deepinfra meta-llama/Meta-Llama-3.1-8B-Instruct')?.model).toBe('meta-llama/llama-3.1-8b-instruct');
  });

  it('compares an org/name by its name part only when the organisation publishes the model', () => {
    const { joined, reasons } = run({
      'novita/deepseek/DeepSeek-R1-Distill-Llama-70B': chat('novita'),
      'novita/someone/DeepSeek-R1': chat('novita'),
    });
    expect(joined.get('novita deepseek/DeepSeek-R1-Distill-Llama-70B')?.model).toBe('deepseek/deepseek-r1-distill-llama-70b');
    expect(reasons.get('novita/someone/DeepSeek-R1')).toMatch(/no catalog model/);
  });

  it('strips quantization markers into the endpoint, and Together’s serving tiers only at Together', () => {
    const { joined, reasons } = run({
      'lambda_ai/llama3.3-70b-instruct-fp8': chat('lambda_ai'),
      'together_ai/Qwen/Qwen3-235B-A22B-fp8-tput': chat('together_ai'),
      'hyperbolic/meta-llama/Llama-3.3-70B-Instruct-AWQ': chat('hyperbolic'),
      'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo': chat('together_ai'),
      'deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo': chat('deepinfra'),
    });
    expect(joined.get('lambda llama3.3-70b-instruct-fp8')).toMatchObject({
      model: 'meta-llama/llama-3.3-70b-instruct',
      endpoint: { quantization: 'fp8' },
    });
    expect(joined.get('together Qwen/Qwen3-235B-A22B-fp8-tput')).toMatchObject({
      model: 'qwen/qwen3-235b-a22b',
      endpoint: { quantization: 'fp8' },
    });
    const awq = joined.get('hyperbolic meta-llama/Llama-3.3-70B-Instruct-AWQ')!;
    expect(awq.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(awq.endpoint.quantization).toBeUndefined();
    expect(joined.get('together meta-llama/Llama-3.3-70B-Instruct-Turbo')?.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(reasons.get('deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo')).toMatch(/no catalog model/);
  });

  it('reports a name two models share as ambiguous', () => {
    const { joined, reasons } = run({ 'groq/shared-name': chat('groq') });
    expect(joined.size).toBe(0);
    expect(reasons.get('groq/shared-name')).toBe('ambiguous: matches acme/model-a and acme/model-b');
  });

  it('keeps one endpoint per model and provider: the exact name wins, identical repeats are one, equal rivals none', () => {
    const { joined, reasons, result } = run({
      'together_ai/meta-llama/Llama-3.3-70B-Instruct': chat('together_ai'),
      'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo': chat('together_ai', { input_cost_per_token: 8.8e-7 }),
      'fireworks_ai/accounts/fireworks/models/deepseek-r1': chat('fireworks_ai'),
      'fireworks_ai/deepseek-r1': chat('fireworks_ai'),
      'deepinfra/deepseek-ai/DeepSeek-R1': chat('deepinfra'),
      'deepinfra/deepseek-r1-671b': chat('deepinfra'),
    });
    expect(joined.get('together meta-llama/Llama-3.3-70B-Instruct')?.model).toBe('meta-llama/llama-3.3-70b-instruct');
    expect(joined.has('together meta-llama/Llama-3.3-70B-Instruct-Turbo')).toBe(false);
    expect(reasons.get('together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo')).toMatch(/closer match/);
    expect(joined.get('fireworks accounts/fireworks/models/deepseek-r1')?.model).toBe('deepseek/deepseek-r1');
    expect(result.notes.join('\n')).toMatch(/1 entries repeat another entry/);
    expect(reasons.get('deepinfra/deepseek-ai/DeepSeek-R1')).toMatch(/^ambiguous: 2 entries of deepinfra match deepseek\/deepseek-r1/);
    expect(reasons.get('deepinfra/deepseek-r1-671b')).toMatch(/^ambiguous/);
  });

  it('leaves a model the catalog serves at that provider under another name to the catalog', () => {
    const models = {
      ...MODELS,
      'deepseek/deepseek-r1': {
        hugging_face_id: 'deepseek-ai/DeepSeek-R1',
        endpoints: [{ provider: 'groq', model: 'deepseek-r1-distill', pricing: { prompt: 1, completion: 1 } }],
      },
    };
    const { joined, reasons } = run({ 'groq/deepseek-ai/DeepSeek-R1': chat('groq'), 'sambanova/DeepSeek-R1': chat('sambanova') }, models);
    expect(reasons.get('groq/deepseek-ai/DeepSeek-R1')).toBe(
      'the catalog already serves deepseek/deepseek-r1 at groq as "deepseek-r1-distill"',
    );
    expect(joined.get('sambanova DeepSeek-R1')?.model).toBe('deepseek/deepseek-r1');
  });

  it('joins embedding entries to embedding models only', () => {
    const { joined, reasons } = run({
      'novita/qwen/qwen3-embedding-8b': {
        litellm_provider: 'novita',
        mode: 'embedding',
        input_cost_per_token: 7e-8,
        output_cost_per_token: 0,
      },
      'novita/deepseek-ai/DeepSeek-R1': { litellm_provider: 'novita', mode: 'embedding', input_cost_per_token: 7e-8 },
    });
    expect(joined.get('novita qwen/qwen3-embedding-8b')?.endpoint.pricing).toEqual({ prompt: 0.07, completion: 0 });
    expect(reasons.get('novita/deepseek-ai/DeepSeek-R1')).toMatch(/an embedding entry, but deepseek\/deepseek-r1 is a chat model/);
  });
});

describe('importLiteLLM: prices, limits and the report', () => {
  it('converts USD per token to USD per 1M tokens exactly, with cache, reasoning and long-context tiers', () => {
    const { joined } = run({
      'groq/llama-3.3-70b-versatile': chat('groq', {
        input_cost_per_token: 5.9e-7,
        output_cost_per_token: 7.9e-7,
        max_input_tokens: 128000,
        max_output_tokens: 32768,
      }),
      'novita/deepseek/deepseek-r1-0528': chat('novita', {
        input_cost_per_token: 7e-7,
        output_cost_per_token: 0.0000025,
        cache_read_input_token_cost: 3.5e-7,
        cache_creation_input_token_cost: 1.345e-7,
        output_cost_per_reasoning_token: 0.00000219,
        input_cost_per_token_above_200k_tokens: 0.0000014,
        output_cost_per_token_above_200k_tokens: 0.000005,
        cache_read_input_token_cost_above_200k_tokens: 7e-7,
        input_cost_per_token_above_128k_tokens: 0.000001,
      }),
      'sambanova/DeepSeek-R1': chat('sambanova', { input_cost_per_token: 0.000005, output_cost_per_token: 0.000007 }),
    });
    expect(joined.get('groq llama-3.3-70b-versatile')!.endpoint).toEqual({
      provider: 'groq',
      model: 'llama-3.3-70b-versatile',
      pricing: { prompt: 0.59, completion: 0.79 },
      context_length: 128000,
      max_output: 32768,
    });
    expect(joined.get('novita deepseek/deepseek-r1-0528')!.endpoint.pricing).toEqual({
      prompt: 0.7,
      completion: 2.5,
      cache_read: 0.35,
      cache_write: 0.1345,
      reasoning: 2.19,
      tiers: [
        { above_prompt_tokens: 128000, prompt: 1, completion: 2.5 },
        { above_prompt_tokens: 200000, prompt: 1.4, completion: 5, cache_read: 0.7 },
      ],
    });
    expect(joined.get('sambanova DeepSeek-R1')!.endpoint.pricing).toEqual({ prompt: 5, completion: 7 });
  });

  it("reads DashScope's tiered_pricing list", () => {
    const { joined } = run({
      'novita/qwen/qwen3-235b-a22b': chat('novita', {
        input_cost_per_token: undefined,
        output_cost_per_token: undefined,
        tiered_pricing: [
          { input_cost_per_token: 5e-8, output_cost_per_token: 4e-7, range: [0, 256000] },
          { input_cost_per_token: 2.5e-7, output_cost_per_token: 0.000002, range: [256000, 1000000] },
        ],
      }),
    });
    expect(joined.get('novita qwen/qwen3-235b-a22b')!.endpoint.pricing).toEqual({
      prompt: 0.05,
      completion: 0.4,
      tiers: [{ above_prompt_tokens: 256000, prompt: 0.25, completion: 2 }],
    });
  });

  it('reports entries without a price and implausible prices instead of importing them', () => {
    const { joined, reasons } = run({
      'together_ai/deepseek-ai/DeepSeek-R1': { litellm_provider: 'together_ai', mode: 'chat' },
      'novita/deepseek-ai/DeepSeek-R1-0528': chat('novita', { input_cost_per_token: 0.135, output_cost_per_token: 0.54 }),
      'wandb/deepseek-ai/DeepSeek-R1': chat('wandb', { input_cost_per_token: 0.135 }),
    });
    expect(joined.size).toBe(0);
    expect(reasons.get('together_ai/deepseek-ai/DeepSeek-R1')).toMatch(/^no price/);
    expect(reasons.get('novita/deepseek-ai/DeepSeek-R1-0528')).toMatch(/^implausible price: 540000 USD per 1M tokens/);
    expect(reasons.get('wandb/deepseek-ai/DeepSeek-R1')).toMatch(/^implausible price: 135000 USD per 1M tokens/);
  });

  it('groups providers outside the catalog, counts other modes, and marks deprecated endpoints', () => {
    const { result, joined } = run({
      last_updated: '2026-07-24T18:23:43+00:00',
      sample_spec: { litellm_provider: 'one of …' },
      'bedrock/a': chat('bedrock'),
      'bedrock/b': chat('bedrock'),
      'azure/c': chat('azure'),
      'groq/whisper-large-v3': { litellm_provider: 'groq', mode: 'audio_transcription' },
      'groq/llama-3.3-70b-versatile': chat('groq', { deprecation_date: '2026-07-01' }),
      'sambanova/DeepSeek-R1': chat('sambanova', {
        deprecation_date: '2027-01-01',
        supports_function_calling: false,
        supports_reasoning: true,
      }),
    });
    expect(result.unmatched.slice(0, 2)).toEqual([
      { name: 'azure/* (1 entry)', reason: 'provider azure is not in the catalog' },
      { name: 'bedrock/* (2 entries)', reason: 'provider bedrock is not in the catalog' },
    ]);
    expect(result.notes.join('\n')).toMatch(/1 entries of other modes skipped: audio_transcription 1/);
    expect(joined.get('groq llama-3.3-70b-versatile')!.endpoint.status).toBe('deprecated');
    const samba = joined.get('sambanova DeepSeek-R1')!.endpoint;
    expect(samba.status).toBeUndefined();
    expect(samba.supported_parameters).toEqual(expect.arrayContaining(['temperature', 'reasoning', 'include_reasoning']));
    expect(samba.supported_parameters).not.toContain('tools');
  });

  it('rejects what is not a price map', () => {
    expect(() => importLiteLLM({ data: [] }, { catalog: catalog(MODELS) })).toThrow(/not a LiteLLM price map/);
  });

  it('gives the same document when run again', () => {
    const entries = {
      'groq/llama-3.3-70b-versatile': chat('groq'),
      'together_ai/deepseek-ai/DeepSeek-R1': chat('together_ai'),
      'fireworks_ai/deepseek-v3p1': chat('fireworks_ai'),
    };
    expect(run(entries).result).toEqual(run(entries).result);
  });
});

// ---------------------------------------------------------------------------------------------
// The real map (../shared/data/litellm-model-prices.json), checked against the file read here.

const PRICES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'litellm-model-prices.json');
const HAVE_PRICES = existsSync(PRICES);
if (!HAVE_PRICES) console.warn(`skipping the real-map tests: ${PRICES} is absent (the shared folder is not beside the repository)`);

/** A decimal string's value times 10^6, as a number, by moving the point (independent of perMillion). */
function timesMillion(value: number): number {
  const [mantissa, exponent = '0'] = String(value).toLowerCase().split('e');
  const [whole, fraction = ''] = mantissa!.split('.');
  const digits = `${whole}${fraction}`;
  const point = whole!.length + Number(exponent) + 6;
  const padded = point > digits.length ? digits.padEnd(point, '0') : point < 0 ? `${'0'.repeat(-point)}${digits}` : digits;
  const at = Math.max(point, 0);
  return Number(`${padded.slice(0, at) || '0'}.${padded.slice(at) || '0'}`);
}

describe.skipIf(!HAVE_PRICES)('importLiteLLM over the real price map', () => {
  const text = HAVE_PRICES ? readFileSync(PRICES, 'utf8') : '{}';
  const source = JSON.parse(text) as Record<string, Record<string, unknown>>;
  const models = {
    'deepseek/deepseek-r1': { hugging_face_id: 'deepseek-ai/DeepSeek-R1', aliases: ['deepseek-r1-671b'] },
    'meta-llama/llama-3.3-70b-instruct': {
      hugging_face_id: 'meta-llama/Llama-3.3-70B-Instruct',
      aliases: ['llama-3.3-70b-versatile', 'Meta-Llama-3.3-70B-Instruct'],
    },
  };

  it('counts what it read as the file holds it', () => {
    const { result } = run(source, models);
    const withProvider = Object.entries(source).filter(
      ([key, entry]) => key !== 'sample_spec' && typeof entry?.litellm_provider === 'string',
    );
    const objects = Object.entries(source).filter(([key, entry]) => key !== 'sample_spec' && entry !== null && typeof entry === 'object');
    expect(objects).toHaveLength(2983); // SOURCE.md: 2,983 model entries
    expect(result.notes[0]).toMatch(new RegExp(`^${withProvider.length} entries read`));
    const outside = result.unmatched.filter((item) => item.name.endsWith('entries)') || item.name.endsWith('entry)'));
    const providers = new Set(withProvider.map(([, entry]) => entry.litellm_provider as string));
    // SOURCE.md: 123 litellm_provider values, counting the one entry that has none.
    expect(objects.length - withProvider.length).toBe(1);
    expect(providers.size).toBe(122);
    expect(outside.length).toBeGreaterThan(40);
  });

  it('prices each joined endpoint as the file lists it, at the hosts that sell the model', () => {
    const { joined } = run(source, models);
    const hosts = (model: string): string[] =>
      [...joined.values()].filter((item) => item.model === model).map((item) => String(item.endpoint.provider));
    expect(hosts('deepseek/deepseek-r1')).toEqual(
      expect.arrayContaining(['deepinfra', 'fireworks', 'together', 'hyperbolic', 'nebius', 'sambanova', 'lambda']),
    );
    expect(hosts('meta-llama/llama-3.3-70b-instruct')).toEqual(
      expect.arrayContaining(['deepinfra', 'fireworks', 'together', 'hyperbolic', 'nebius', 'groq', 'lambda', 'novita', 'sambanova']),
    );
    const prefixes: Record<string, string> = { fireworks: 'fireworks_ai/', together: 'together_ai/', lambda: 'lambda_ai/' };
    for (const { endpoint } of joined.values()) {
      const provider = String(endpoint.provider);
      const upstream = String(endpoint.model).replace(/^accounts\/fireworks\/models\//, '');
      const key = `${prefixes[provider] ?? `${provider}/`}${upstream}`;
      const entry = source[key] ?? source[`${prefixes[provider] ?? `${provider}/`}accounts/fireworks/models/${upstream}`];
      expect(entry, key).toBeDefined();
      const pricing = endpoint.pricing as Record<string, number>;
      expect(pricing.prompt, key).toBe(timesMillion(entry!.input_cost_per_token as number));
      expect(pricing.completion, key).toBe(timesMillion(entry!.output_cost_per_token as number));
      if (typeof entry!.max_input_tokens === 'number') expect(endpoint.context_length, key).toBe(entry!.max_input_tokens);
    }
    // Spot checks, by hand from the file.
    expect(joined.get('together deepseek-ai/DeepSeek-R1')!.endpoint).toMatchObject({
      pricing: { prompt: 3, completion: 7 },
      context_length: 128000,
    });
    expect(joined.get('groq llama-3.3-70b-versatile')!.endpoint).toMatchObject({
      pricing: { prompt: 0.59, completion: 0.79 },
      context_length: 128000,
      max_output: 32768,
    });
    expect(joined.get('fireworks accounts/fireworks/models/deepseek-r1')!.endpoint).toMatchObject({
      pricing: { prompt: 3, completion: 8 },
    });
    expect(joined.get('lambda llama3.3-70b-instruct-fp8')!.endpoint).toMatchObject({
      quantization: 'fp8',
      pricing: { prompt: 0.12, completion: 0.3 },
    });
    // Never across versions: R1-0528 and the distills stay out of R1.
    expect(
      [...joined.values()].some(({ model, endpoint }) => model === 'deepseek/deepseek-r1' && /0528|distill/i.test(String(endpoint.model))),
    ).toBe(false);
  });

  it('reports the per-token fields that hold another unit (W&B) as implausible', () => {
    const { reasons } = run(source, models);
    expect(reasons.get('wandb/deepseek-ai/DeepSeek-R1-0528')).toMatch(/^implausible price: 540000 USD per 1M tokens/);
  });

  it('gives the identical document when run again', () => {
    expect(run(source, models).result).toEqual(run(source, models).result);
  });
});
