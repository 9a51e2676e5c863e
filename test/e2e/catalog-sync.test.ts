/**
 * `agora models sync` against a running gateway: OpenRouter's real model list (the shared
 * snapshot of 371 models) is imported into the gateway's database by the CLI, and the gateway
 * serves it without a restart — every model listed with the source's prices, and callable through
 * the `openrouter` provider (here a fake on loopback). A second sync changes nothing; a dry run
 * writes nothing; a changed price is reported field by field and picked up; `--prune` removes what
 * the source dropped. On SQLite and on PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { pollUntil } from '../helpers/events.js';
import { startTestGateway, type TestDatabase, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/agora.js');
const SOURCE = join(import.meta.dirname, '../../../shared/data/openrouter-models.json');
const HAVE_SHARED = existsSync(SOURCE);
if (!HAVE_SHARED) console.warn(`catalog-sync: ${SOURCE} is absent (a clone outside the workspace); the OpenRouter sync tests are skipped`);

interface SourceModel {
  id: string;
  name: string;
  created: number;
  context_length: number;
  hugging_face_id: string | null;
  pricing: Record<string, string>;
  top_provider: { context_length: number | null; max_completion_tokens: number | null };
}

interface ListedModel {
  id: string;
  name: string;
  created: number;
  context_length: number | null;
  hugging_face_id: string | null;
  pricing: Record<string, string>;
  providers: string[];
}

async function sync(databaseUrl: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'models', 'sync', ...args, '--db', databaseUrl], {
    env: { ...process.env, AGORA_CONFIG: '' },
  });
  return stdout;
}

describe.each<TestDatabase>(['sqlite', 'postgres'])('agora models sync --from openrouter (%s)', (database) => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let folder: string;
  const source = HAVE_SHARED ? (JSON.parse(readFileSync(SOURCE, 'utf8')) as { data: SourceModel[] }) : { data: [] };

  async function listed(): Promise<{ total_count: number; data: ListedModel[] }> {
    const response = await fetch(`${gateway.url}/api/v1/models?output_modalities=all`);
    expect(response.status).toBe(200);
    return (await response.json()) as { total_count: number; data: ListedModel[] };
  }

  /** Waits until the gateway's catalog (refreshed every 50 ms from the database) satisfies `done`. */
  async function until(done: (answer: { total_count: number; data: ListedModel[] }) => boolean) {
    const polled = await pollUntil(listed, done, { maxAttempts: 1_000_000, withinMs: 30_000 });
    expect(polled.met, `the gateway did not pick the sync up; last total ${polled.last?.total_count}`).toBe(true);
    return polled.last!;
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    folder = mkdtempSync(join(tmpdir(), 'agora-sync-'));
    gateway = await startTestGateway({
      database,
      yaml: `bundled_catalog: false
catalog_refresh_ms: 50
providers:
  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }
  openrouter: { name: OpenRouter, base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY, jurisdiction: US }
models:
  acme/ok:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 2 } }
`,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it.skipIf(!HAVE_SHARED)('serves all 371 models after a sync, at the source prices, without a restart', async () => {
    expect((await listed()).total_count).toBe(1);
    const report = await sync(gateway.databaseUrl, '--from', 'openrouter', SOURCE);
    expect(report).toMatch(/models\s+371\s+0\s+0\s+0/);
    expect(report).toMatch(/endpoints\s+368\s+0\s+0\s+0/);
    expect(report).toContain('3 models have no fixed price');

    const after = await until((answer) => answer.total_count === 372);
    const byId = new Map(after.data.map((model) => [model.id, model]));
    let fixed = 0;
    for (const model of source.data) {
      const item = byId.get(model.id);
      expect(item, `${model.id} is not listed`).toBeDefined();
      expect(item!.name).toBe(model.name);
      expect(item!.created).toBe(model.created);
      expect(item!.context_length).toBe(model.context_length);
      expect(item!.hugging_face_id).toBe(model.hugging_face_id === '' ? null : model.hugging_face_id);
      if (model.pricing.prompt === '-1') {
        expect(item!.pricing, model.id).toMatchObject({ prompt: '-1', completion: '-1' });
        expect(item!.providers).toEqual([]);
        continue;
      }
      fixed++;
      expect(item!.providers).toEqual(['openrouter']);
      for (const field of ['prompt', 'completion', 'input_cache_read', 'input_cache_write'] as const) {
        if (model.pricing[field] === undefined) continue;
        expect(Number(item!.pricing[field]), `${model.id} ${field}`).toBe(Number(model.pricing[field]));
      }
    }
    expect(fixed).toBe(368);

    // Callable at once: the synced endpoint sends OpenRouter's own model name to the `openrouter` provider.
    const before = upstream.requests.length;
    const key = await gateway.createKey('sync');
    const { data: completion, response } = await gateway
      .client(key)
      .chat.completions.create({ model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(response.headers.get('x-agora-provider')).toBe('openrouter');
    expect(completion.choices[0]!.message.content).toBe('Hello from the fake upstream.');
    expect(upstream.requests.length).toBe(before + 1);
    expect((upstream.requests.at(-1)!.body as { model: string }).model).toBe('deepseek/deepseek-r1');
  });

  it.skipIf(!HAVE_SHARED)('a second sync changes nothing; a changed price is shown field by field, not written on a dry run', async () => {
    const version = await gateway.running.store.catalog.version();
    expect(await sync(gateway.databaseUrl, '--from', SOURCE)).toContain('nothing changed');
    expect(await gateway.running.store.catalog.version()).toBe(version);

    const changed = structuredClone(source);
    const r1 = changed.data.find((model) => model.id === 'deepseek/deepseek-r1')!;
    const oldPrompt = Number(r1.pricing.prompt) * 1e6;
    r1.pricing.prompt = '0.00000123';
    const file = join(folder, 'changed.json');
    writeFileSync(file, JSON.stringify(changed));
    const dry = await sync(gateway.databaseUrl, '--from', 'openrouter', file, '--dry-run');
    expect(dry).toMatch(/endpoints\s+0\s+1\s+367\s+0/);
    expect(dry).toContain(`~ endpoint deepseek/deepseek-r1@openrouter: pricing.prompt: ${oldPrompt} → 1.23`);
    expect(dry).toContain('dry run: nothing written');
    expect(await gateway.running.store.catalog.version()).toBe(version);

    expect(await sync(gateway.databaseUrl, '--from', 'openrouter', file)).toContain('written');
    expect(await gateway.running.store.catalog.version()).toBe(version + 1);
    await until((answer) => answer.data.find((model) => model.id === 'deepseek/deepseek-r1')?.pricing.prompt === '0.00000123');
  });

  it.skipIf(!HAVE_SHARED)('keeps what the source dropped unless --prune says otherwise', async () => {
    const trimmed = { data: source.data.filter((model) => model.id !== 'ai21/jamba-large-1.7') };
    const file = join(folder, 'trimmed.json');
    writeFileSync(file, JSON.stringify(trimmed));
    const kept = await sync(gateway.databaseUrl, '--from', 'openrouter', file);
    expect(kept).toContain('? model ai21/jamba-large-1.7 (no longer in the source; kept)');
    expect((await listed()).data.some((model) => model.id === 'ai21/jamba-large-1.7')).toBe(true);
    const pruned = await sync(gateway.databaseUrl, '--from', 'openrouter', file, '--prune');
    expect(pruned).toContain('- model ai21/jamba-large-1.7');
    expect(pruned).toContain('- endpoint ai21/jamba-large-1.7@openrouter');
    const after = await until((answer) => !answer.data.some((model) => model.id === 'ai21/jamba-large-1.7'));
    expect(after.total_count).toBe(371);
  });
});

describe('agora models sync: input errors', () => {
  it('names a missing file, an unknown format and an unrecognisable input, and exits 1', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agora-sync-'));
    try {
      const db = `sqlite:${join(folder, 'agora.db')}`;
      const missing = await run(process.execPath, [CLI, 'models', 'sync', '--from', join(folder, 'nope.json'), '--db', db]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(missing).toMatchObject({ code: 1 });
      expect((missing as { stderr: string }).stderr).toContain(`no such file: ${join(folder, 'nope.json')}`);
      const odd = join(folder, 'odd.json');
      writeFileSync(odd, JSON.stringify({ hello: 'world' }));
      const unknown = await run(process.execPath, [CLI, 'models', 'sync', '--from', odd, '--db', db]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect((unknown as { stderr: string }).stderr).toContain('cannot tell the format');
      const wrong = await run(process.execPath, [CLI, 'models', 'sync', '--from', 'openrouter', odd, '--db', db]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect((wrong as { stderr: string }).stderr).toContain('not an OpenRouter model list');
      const badFormat = await run(process.execPath, [CLI, 'models', 'sync', '--from', 'openrouterx', odd, '--db', db]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect((badFormat as { stderr: string }).stderr).toContain('--from takes a format');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
