/**
 * The bundled market and the other two importers, end to end through a running gateway:
 *  - a fresh gateway lists DeepSeek R1 and Llama 3.3 70B Instruct at five or more hosts each, every
 *    price equal to LiteLLM's map read here on its own;
 *  - `agora models sync --from litellm` over the real map: the report, the hosts it adds, and a
 *    second run that changes nothing;
 *  - `agora models sync --from hf URL` against a fake Hugging Face Hub (paged with Link headers):
 *    the Hub's facts reach the catalog's models by their Hugging Face id, a fact from another layer
 *    (the active parameter count) is kept, and a Hub model the catalog does not have is reported.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub, type HubEntry } from '../fakes/hf-hub.js';
import { pollUntil } from '../helpers/events.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/agora.js');
const PRICES = join(import.meta.dirname, '../../../shared/data/litellm-model-prices.json');
const HAVE_SHARED = existsSync(PRICES);
if (!HAVE_SHARED) console.warn(`catalog-import: ${PRICES} is absent (a clone outside the workspace); the LiteLLM tests are skipped`);
const R1_INFO = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/hf-hub/model-info-deepseek-r1.json'), 'utf8')) as HubEntry;

interface Endpoint {
  tag: string;
  upstream_model: string;
  pricing: { prompt: string; completion: string };
}

async function sync(databaseUrl: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'models', 'sync', ...args, '--db', databaseUrl], {
    env: { ...process.env, AGORA_CONFIG: '' },
  });
  return stdout;
}

describe('the bundled market and the LiteLLM and Hugging Face importers', () => {
  let gateway: TestGateway;
  let hub: FakeHub;

  async function endpoints(id: string): Promise<Endpoint[]> {
    const response = await fetch(`${gateway.url}/api/v1/models/${id}/endpoints`);
    expect(response.status, id).toBe(200);
    return ((await response.json()) as { data: { endpoints: Endpoint[] } }).data.endpoints;
  }

  async function model(id: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${gateway.url}/api/v1/models?output_modalities=all`);
    return ((await response.json()) as { data: Array<Record<string, unknown>> }).data.find((item) => item.id === id)!;
  }

  beforeAll(async () => {
    // The bundled catalog, as a new user gets it (no provider key set).
    gateway = await startTestGateway({ yaml: 'catalog_refresh_ms: 50\n', env: {} });
    hub = await startFakeHub({
      list: [
        { ...R1_INFO, tags: [...(R1_INFO.tags ?? []), 'agora-test'] },
        {
          id: 'Qwen/Qwen2.5-VL-72B-Instruct',
          author: 'Qwen',
          tags: ['transformers', 'safetensors', 'image-text-to-text', 'license:other', 'agora-test'],
          pipeline_tag: 'image-text-to-text',
          createdAt: '2025-01-26T09:26:37.000Z',
          cardData: { license: 'other' },
          safetensors: { total: 73410777344 },
        },
        {
          id: 'someone/not-in-the-catalog',
          author: 'someone',
          tags: ['transformers', 'license:mit', 'agora-test'],
          cardData: { license: 'mit' },
        },
      ],
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await hub?.close();
  });

  it.skipIf(!HAVE_SHARED)('lists DeepSeek R1 and Llama 3.3 70B Instruct at five or more hosts, at the price map’s prices', async () => {
    const prices = JSON.parse(readFileSync(PRICES, 'utf8')) as Record<
      string,
      { input_cost_per_token?: number; output_cost_per_token?: number }
    >;
    /** The map's entries for a host, by upstream name (LiteLLM keys are `provider/upstream-name`). */
    const priced = (upstream: string): Array<{ prompt: number; completion: number }> =>
      Object.entries(prices)
        .filter(([key]) => key.endsWith(`/${upstream}`))
        .map(([, entry]) => ({ prompt: entry.input_cost_per_token! * 1e6, completion: entry.output_cost_per_token! * 1e6 }));
    for (const id of ['deepseek/deepseek-r1', 'meta-llama/llama-3.3-70b-instruct']) {
      const hosts = (await endpoints(id)).filter((endpoint) => !['deepseek', 'ollama', 'vllm'].includes(endpoint.tag));
      expect(hosts.length, `${id}: ${hosts.map((host) => host.tag).join(', ')}`).toBeGreaterThanOrEqual(5);
      for (const host of hosts) {
        const listed = { prompt: Number(host.pricing.prompt) * 1e6, completion: Number(host.pricing.completion) * 1e6 };
        const source = priced(host.upstream_model);
        expect(
          source.some((entry) => Math.abs(entry.prompt - listed.prompt) < 1e-9 && Math.abs(entry.completion - listed.completion) < 1e-9),
          `${id} at ${host.tag} (${host.upstream_model}): ${JSON.stringify(listed)} not in the map (${JSON.stringify(source)})`,
        ).toBe(true);
      }
    }
  });

  it.skipIf(!HAVE_SHARED)('syncs LiteLLM’s map: reports what it cannot place, and a second run changes nothing', async () => {
    const first = await sync(gateway.databaseUrl, '--from', 'litellm', PRICES);
    expect(first).toMatch(/endpoints\s+\d{3}\s+0\s+0\s+0/);
    expect(first).toContain('not imported (');
    expect(first).toMatch(/is not in the catalog/);
    expect(first).toContain('written (catalog version 1)');
    const second = await sync(gateway.databaseUrl, '--from', PRICES);
    expect(second).toContain('nothing changed');
    expect(second).toMatch(/endpoints\s+0\s+0\s+\d{3}\s+0/);
    expect(await gateway.running.store.catalog.version()).toBe(1);
  });

  it('syncs Hub facts onto the catalog’s models, page by page, keeping facts from other layers', async () => {
    const before = await model('deepseek/deepseek-r1');
    const report = await sync(gateway.databaseUrl, '--from', 'hf', `${hub.url}/api/models?filter=agora-test&limit=2`);
    expect(hub.requests.filter((request) => request.path.startsWith('/api/models?')).length).toBe(2);
    expect(report).toContain('no catalog model has this hugging_face_id (1): someone/not-in-the-catalog');
    expect(report).toMatch(/models\s+2\s+0\s+0\s+0/);
    const polled = await pollUntil(
      () => model('deepseek/deepseek-r1'),
      (item) => (item.parameters as { total: number } | null)?.total === 684531386000,
      { maxAttempts: 1_000_000, withinMs: 30_000 },
    );
    expect(polled.met).toBe(true);
    expect(polled.last).toMatchObject({
      license: 'mit',
      open_weights: true,
      release_date: '2025-01-20',
      // The bundled active count survives the Hub's total.
      parameters: { total: 684531386000, active: (before.parameters as { active: number | null } | null)?.active ?? null },
    });
    const vl = await model('qwen/qwen2.5-vl-72b-instruct');
    expect(vl.architecture).toMatchObject({ input_modalities: ['text', 'image'] });
    expect(vl.parameters).toMatchObject({ total: 73410777344 });
    expect(await sync(gateway.databaseUrl, '--from', 'hf', `${hub.url}/api/models?filter=agora-test&limit=2`)).toContain('nothing changed');
  });
});
