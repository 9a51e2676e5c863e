/**
 * The catalog API a marketplace user filters: GET /api/v1/models with Agora's filters (author,
 * author country, open weights, license, parameters, context, price, provider, servable now, text),
 * each bad value a 400 in OpenRouter's error shape naming the parameter; the facts beside
 * OpenRouter's fields; GET /api/v1/providers in OpenRouter's shape (checked by its SDK) with model
 * counts; and `agora models list` with the same filters.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OpenRouter } from '@openrouter/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/agora.js');

const catalogYaml = (upstreamUrl: string): string => `bundled_catalog: false
authors:
  acme: { name: Acme AI, country: US, homepage: https://acme.example }
  dragon: { name: Dragon Labs, country: CN }
providers:
  acme:
    name: Acme Cloud
    base_url: ${upstreamUrl}
    api_key_env: ACME_TEST_KEY
    jurisdiction: US
    datacenters: [US, IE]
    homepage: https://cloud.acme.example
    privacy_policy_url: https://cloud.acme.example/privacy
    data_policy: { retention_days: 0, trains_on_prompts: false, zdr: true }
  off:
    name: Off Host
    base_url: http://127.0.0.1:9/v1
    api_key_env: AGORA_TEST_NEVER_SET_KEY
    jurisdiction: DE
models:
  acme/small:
    name: "Acme: Small"
    open_weights: true
    license: apache-2.0
    parameters: { total: 7.6e9 }
    context_length: 32768
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 0.1, completion: 0.2 } }
  acme/big:
    name: "Acme: Big MoE"
    open_weights: true
    license: mit
    parameters: { total: 671e9, active: 37e9 }
    context_length: 131072
    release_date: "2025-01-20"
    input_modalities: [text, image]
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 2 }, quantization: fp8 }
      - { provider: off, model: big, pricing: { prompt: 0.5, completion: 1 } }
  dragon/chat:
    name: "Dragon: Chat"
    open_weights: false
    license: proprietary
    context_length: 8192
    endpoints:
      - { provider: off, model: chat, pricing: { prompt: 2, completion: 8 } }
`;

interface Listed {
  id: string;
  author_country: string | null;
  parameters: { total: number | null; active: number | null } | null;
  release_date: string | null;
  created: number;
  architecture: { modality: string; input_modalities: string[] };
  providers: string[];
  open_weights: boolean | null;
  license: string | null;
}

describe('catalog API: filters, facts and providers', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let folder: string;

  async function ids(query: string): Promise<string[]> {
    const response = await fetch(`${gateway.url}/api/v1/models?${query}`);
    expect(response.status, query).toBe(200);
    return ((await response.json()) as { data: Listed[] }).data.map((model) => model.id).sort();
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: catalogYaml(upstream.url) });
    folder = mkdtempSync(join(tmpdir(), 'agora-catalog-'));
    writeFileSync(join(folder, 'config.yaml'), catalogYaml(upstream.url));
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('filters by every fact, alone and combined', async () => {
    const all = ['acme/big', 'acme/small', 'dragon/chat'];
    expect(await ids('')).toEqual(all);
    expect(await ids('author=dragon')).toEqual(['dragon/chat']);
    expect(await ids('author_country=cn')).toEqual(['dragon/chat']);
    expect(await ids('author_country=US,CN')).toEqual(all);
    expect(await ids('open_weights=true')).toEqual(['acme/big', 'acme/small']);
    expect(await ids('open_weights=false')).toEqual(['dragon/chat']);
    expect(await ids('license=MIT')).toEqual(['acme/big']);
    expect(await ids('min_params=10')).toEqual(['acme/big']);
    expect(await ids('max_params=10')).toEqual(['acme/small']);
    expect(await ids('min_params=7&max_params=7.6')).toEqual(['acme/small']);
    expect(await ids('min_context=100000')).toEqual(['acme/big']);
    // Blended (3:1): small 0.125 at acme; big 1.25 at acme, 0.625 at off; dragon 3.5 at off.
    expect(await ids('max_price=0.7')).toEqual(['acme/big', 'acme/small']);
    expect(await ids('max_price=0.7&provider=acme')).toEqual(['acme/small']);
    expect(await ids('provider=off')).toEqual(['acme/big', 'dragon/chat']);
    expect(await ids('servable=true')).toEqual(['acme/big', 'acme/small']);
    expect(await ids('servable=false')).toEqual(['dragon/chat']);
    expect(await ids('q=big%20moe')).toEqual(['acme/big']);
    expect(await ids('author=acme&max_params=10&servable=true')).toEqual(['acme/small']);
    expect(await ids('author=nobody')).toEqual([]);
  });

  it('answers a bad filter value with a 400 naming the parameter, in OpenRouter’s error shape', async () => {
    for (const [query, parameter] of [
      ['open_weights=yes', 'open_weights'],
      ['servable=1', 'servable'],
      ['min_params=-1', 'min_params'],
      ['max_params=lots', 'max_params'],
      ['min_context=1e400', 'min_context'],
      ['max_price=cheap', 'max_price'],
      ['author_country=China', 'author_country'],
      ['min_params=70&max_params=7', 'min_params'],
    ] as const) {
      const response = await fetch(`${gateway.url}/api/v1/models?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { code: number; message: string } };
      expect(body.error.code, query).toBe(400);
      expect(body.error.message, query).toContain(`'${parameter}'`);
    }
  });

  it("carries the catalog's facts beside OpenRouter's fields", async () => {
    const response = await fetch(`${gateway.url}/api/v1/models`);
    const { data } = (await response.json()) as { data: Listed[] };
    const big = data.find((model) => model.id === 'acme/big')!;
    expect(big).toMatchObject({
      author_country: 'US',
      open_weights: true,
      license: 'mit',
      parameters: { total: 671e9, active: 37e9 },
      release_date: '2025-01-20',
      created: Date.UTC(2025, 0, 20) / 1000,
      architecture: { modality: 'text+image->text', input_modalities: ['text', 'image'] },
      providers: ['off', 'acme'],
    });
    const endpoints = (await (await fetch(`${gateway.url}/api/v1/models/acme/big/endpoints`)).json()) as {
      data: { author_name: string; endpoints: Array<{ tag: string; quantization: string | null; enabled: boolean }> };
    };
    expect(endpoints.data.author_name).toBe('Acme AI');
    expect(endpoints.data.endpoints.map((endpoint) => [endpoint.tag, endpoint.quantization, endpoint.enabled])).toEqual([
      ['off', null, false],
      ['acme', 'fp8', true],
    ]);
  });

  it('lists providers in OpenRouter’s shape, validated by its SDK, with their facts and model counts', async () => {
    const sdk = new OpenRouter({
      apiKey: await gateway.createKey('providers'),
      serverURL: `${gateway.url}/api/v1`,
      retryConfig: { strategy: 'none' },
    });
    const listed = await sdk.providers.list();
    expect(listed.data.map((provider) => provider.slug)).toEqual(['acme', 'off']);
    expect(listed.data[0]).toMatchObject({
      name: 'Acme Cloud',
      slug: 'acme',
      headquarters: 'US',
      datacenters: ['US', 'IE'],
      privacyPolicyUrl: 'https://cloud.acme.example/privacy',
    });
    const raw = (await (await fetch(`${gateway.url}/api/v1/providers`)).json()) as { data: Array<Record<string, unknown>> };
    expect(raw.data[0]).toMatchObject({
      key_variable: 'ACME_TEST_KEY',
      enabled: true,
      data_policy: { retention_days: 0, trains_on_prompts: false, zdr: true },
      models: 2,
      models_servable: 2,
    });
    expect(raw.data[0]).not.toHaveProperty('base_url');
    expect(raw.data[1]).toMatchObject({ headquarters: 'DE', enabled: false, models: 2, models_servable: 0 });
    expect(String(raw.data[1]!.disabled_reason)).toContain('AGORA_TEST_NEVER_SET_KEY');
  });

  it('agora models list takes the same filters, and names a bad flag', async () => {
    const db = `sqlite:${join(folder, 'cli.db')}`;
    const env = { ...process.env, ACME_TEST_KEY: 'set' };
    const { stdout } = await run(
      process.execPath,
      [CLI, 'models', 'list', '--config', join(folder, 'config.yaml'), '--db', db, '--open-weights', 'true', '--max-price', '0.7'],
      { env },
    );
    const lines = stdout.trim().split('\n');
    expect(lines.slice(2, -1).map((line) => line.split(/\s+/)[0])).toEqual(['acme/big', 'acme/small']);
    expect(stdout).toMatch(/acme\/big\s+US\s+671B\s+131072\s+0\.5\/1 \(off\)\s+2\s+acme\*, off/);
    expect(lines.at(-1)).toContain('2 models');
    const bad = await run(
      process.execPath,
      [CLI, 'models', 'list', '--config', join(folder, 'config.yaml'), '--db', db, '--min-params', 'x'],
      {
        env,
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain('--min-params');
  });
});
