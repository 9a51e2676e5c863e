/**
 * The Hub client: model infos in the Hub API's documented shape (fixtures under
 * test/fixtures/hf-hub, values modelled on the real sample), read from files and from a fake Hub on
 * loopback that pages its lists with `Link: <…>; rel="next"` as the Hub does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub, type HubEntry } from '../../../test/fakes/hf-hub.js';
import {
  baseModelTags,
  fetchHubModels,
  HubFormatError,
  hubModelsFromJson,
  mergeHubModels,
  nextLink,
  parseHubModelInfo,
  readHubModels,
  stubModel,
} from './hf-hub.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/hf-hub');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
const R1_INFO = fixture<HubEntry>('model-info-deepseek-r1.json');
const R1_LIST = fixture<HubEntry[]>('list-derivatives-deepseek-r1.json');

describe('parseHubModelInfo', () => {
  it('normalises a full model info (GET /api/models/{id})', () => {
    expect(parseHubModelInfo(R1_INFO)).toEqual({
      id: 'deepseek-ai/DeepSeek-R1',
      author: 'deepseek-ai',
      downloads: 1757133,
      likes: 11967,
      createdAt: '2025-01-20T03:46:07.000Z',
      lastModified: '2025-03-27T04:01:59.000Z',
      license: 'mit',
      pipelineTag: 'text-generation',
      libraryName: 'transformers',
      gated: false,
      tags: R1_INFO.tags,
      bases: [],
      parameters: 684531386000,
      known: true,
    });
  });

  it('reads a compact list entry (modelId, no author, no cardData): author from the id, license from the tag', () => {
    const { id: _id, ...withoutId } = R1_LIST[0]!;
    const model = parseHubModelInfo(withoutId);
    expect(model).toMatchObject({
      id: 'perplexity-ai/r1-1776',
      author: 'perplexity-ai',
      license: 'mit',
      parameters: null,
      bases: [{ id: 'deepseek-ai/DeepSeek-R1', relation: 'finetune', sources: ['tags'] }],
    });
  });

  it('takes each typed base_model tag; a merge has several bases', () => {
    expect(parseHubModelInfo(R1_LIST[3]).bases).toEqual([
      { id: 'deepseek-ai/DeepSeek-R1', relation: 'merge', sources: ['tags'] },
      { id: 'perplexity-ai/r1-1776', relation: 'merge', sources: ['tags'] },
    ]);
    expect(parseHubModelInfo(R1_LIST[2]).bases).toEqual([{ id: 'deepseek-ai/DeepSeek-R1', relation: 'adapter', sources: ['tags'] }]);
  });

  it("ignores the card's base_model when the Hub's tags name the bases (the Hub's reading wins)", () => {
    const model = parseHubModelInfo({
      id: 'r4isy/kenu',
      tags: ['base_model:deepseek-ai/DeepSeek-R1', 'base_model:finetune:deepseek-ai/DeepSeek-R1'],
      cardData: { base_model: ['openai-community/gpt2', 'deepseek-ai/DeepSeek-R1'] },
    });
    expect(model.bases).toEqual([{ id: 'deepseek-ai/DeepSeek-R1', relation: 'finetune', sources: ['tags'] }]);
  });

  it('falls back to the card only without any base_model tag: explicit relation, else inferred as the Hub documents', () => {
    const explicit = parseHubModelInfo({ id: 'a/x', cardData: { base_model: 'b/base', base_model_relation: 'quantized' } });
    expect(explicit.bases).toEqual([{ id: 'b/base', relation: 'quantized', sources: ['card'] }]);
    expect(parseHubModelInfo({ id: 'a/x', library_name: 'peft', cardData: { base_model: 'b/base' } }).bases[0]!.relation).toBe('adapter');
    expect(parseHubModelInfo({ id: 'a/x', tags: ['gguf'], cardData: { base_model: 'b/base' } }).bases[0]!.relation).toBe('quantized');
    expect(parseHubModelInfo({ id: 'a/x', cardData: { base_model: ['b/one', 'c/two'] } }).bases.map((base) => base.relation)).toEqual([
      'merge',
      'merge',
    ]);
    expect(parseHubModelInfo({ id: 'a/x', cardData: { base_model: 'b/base' } }).bases[0]!.relation).toBe('finetune');
    // An untyped tag (older Hub data) uses the same inference.
    expect(parseHubModelInfo({ id: 'a/x', tags: ['base_model:b/base'] }).bases).toEqual([
      { id: 'b/base', relation: 'finetune', sources: ['tags'] },
    ]);
  });

  it('drops self-references, invalid ids and duplicate bases (case-insensitive)', () => {
    const model = parseHubModelInfo({
      id: 'a/x',
      tags: ['base_model:finetune:a/X', 'base_model:finetune:b/Base', 'base_model:finetune:B/BASE', 'base_model:finetune:not a valid id'],
    });
    expect(model.bases).toEqual([{ id: 'b/Base', relation: 'finetune', sources: ['tags'] }]);
    expect(() => parseHubModelInfo({ modelId: 'has spaces/x' })).toThrow(HubFormatError);
    expect(() => parseHubModelInfo('a/x')).toThrow(HubFormatError);
  });

  it('gated: false, "auto", "manual"; anything else unknown', () => {
    expect(parseHubModelInfo({ id: 'a/x', gated: 'manual' }).gated).toBe('manual');
    expect(parseHubModelInfo({ id: 'a/x', gated: 'auto' }).gated).toBe('auto');
    expect(parseHubModelInfo({ id: 'a/x', gated: false }).gated).toBe(false);
    expect(parseHubModelInfo({ id: 'a/x' }).gated).toBeNull();
  });
});

describe('tags, links and merging', () => {
  it('baseModelTags splits typed and untyped tags', () => {
    expect(baseModelTags(['base_model:a/b', 'base_model:adapter:a/b', 'license:mit', 'base_model:weird:a/c'])).toEqual({
      typed: [{ id: 'a/b', relation: 'adapter' }],
      untyped: ['a/b'],
    });
  });

  it('nextLink finds rel="next" among several links and resolves it against the page', () => {
    const header =
      '<https://huggingface.co/api/models?cursor=p>; rel="prev", <https://huggingface.co/api/models?cursor=n&limit=2>; rel="next"';
    expect(nextLink(header, 'https://huggingface.co/api/models')).toBe('https://huggingface.co/api/models?cursor=n&limit=2');
    expect(nextLink('</api/models?cursor=x>; rel=next', 'https://huggingface.co/api/models?filter=a')).toBe(
      'https://huggingface.co/api/models?cursor=x',
    );
    expect(nextLink('<https://huggingface.co/x>; rel="last"', 'https://huggingface.co/')).toBeUndefined();
    expect(nextLink(null, 'https://huggingface.co/')).toBeUndefined();
  });

  it("a stub never overwrites a known model's facts; bases and sources are united", () => {
    const known = parseHubModelInfo(R1_LIST[0]);
    const stub = stubModel('PERPLEXITY-AI/r1-1776');
    stub.bases.push({ id: 'deepseek-ai/deepseek-r1', relation: 'finetune', sources: ['parent'] });
    const merged = mergeHubModels(known, stub);
    expect(merged).toMatchObject({ id: 'perplexity-ai/r1-1776', downloads: 8649, known: true });
    expect(merged.bases).toEqual([{ id: 'deepseek-ai/DeepSeek-R1', relation: 'finetune', sources: ['tags', 'parent'] }]);
    expect(mergeHubModels(stub, known)).toMatchObject({ id: 'perplexity-ai/r1-1776', downloads: 8649, known: true });
  });

  it('hubModelsFromJson accepts an array (skipping infos without an id), one info, and refuses other shapes', () => {
    expect(hubModelsFromJson([...R1_LIST, { likes: 3 }, R1_LIST[0]])).toMatchObject({ skipped: 1 });
    expect(hubModelsFromJson([...R1_LIST, { likes: 3 }]).models).toHaveLength(5);
    expect(hubModelsFromJson(R1_INFO).models.map((model) => model.id)).toEqual(['deepseek-ai/DeepSeek-R1']);
    expect(() => hubModelsFromJson({ data: [] })).toThrow(HubFormatError);
    expect(() => hubModelsFromJson(42)).toThrow(HubFormatError);
  });
});

describe('reading files', () => {
  it('reads a file of model infos and names the file when it is not JSON or not found', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agora-hf-hub-'));
    const good = join(folder, 'list.json');
    writeFileSync(good, JSON.stringify(R1_LIST));
    const read = await readHubModels(good);
    expect(read).toMatchObject({ skipped: 0, pages: 1 });
    expect(read.models.map((model) => model.id).sort()).toEqual(R1_LIST.map((entry) => entry.id).sort());
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, '{"id": ');
    await expect(readHubModels(bad)).rejects.toThrow(`${bad}: not JSON`);
    await expect(readHubModels(join(folder, 'missing.json'))).rejects.toThrow('file not found');
    rmSync(folder, { recursive: true, force: true });
  });
});

describe('fetching from a Hub (fake, on loopback)', () => {
  let hub: FakeHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('follows rel="next" through every page of a list, reporting progress per page', async () => {
    hub = await startFakeHub({ list: R1_LIST });
    const progress: Array<{ pages: number; models: number }> = [];
    const read = await fetchHubModels(`${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2`, {
      env: {},
      onProgress: ({ pages, models }) => progress.push({ pages, models }),
    });
    expect(read.pages).toBe(3);
    expect(progress).toEqual([
      { pages: 1, models: 2 },
      { pages: 2, models: 4 },
      { pages: 3, models: 5 },
    ]);
    expect(hub.requests.map((request) => request.path)).toEqual([
      '/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2',
      `/api/models?filter=base_model%3Adeepseek-ai%2FDeepSeek-R1&limit=2&cursor=${Buffer.from('2').toString('base64url')}`,
      `/api/models?filter=base_model%3Adeepseek-ai%2FDeepSeek-R1&limit=2&cursor=${Buffer.from('4').toString('base64url')}`,
    ]);
    const relations = Object.fromEntries(read.models.map((model) => [model.id, model.bases.map((base) => `${base.relation}:${base.id}`)]));
    expect(relations).toEqual({
      'perplexity-ai/r1-1776': ['finetune:deepseek-ai/DeepSeek-R1'],
      'unsloth/DeepSeek-R1-GGUF': ['quantized:deepseek-ai/DeepSeek-R1'],
      'imsanjoykb/deepSQL-R1-distill-8B': ['adapter:deepseek-ai/DeepSeek-R1'],
      'Bixho/idkai': ['merge:deepseek-ai/DeepSeek-R1', 'merge:perplexity-ai/r1-1776'],
      'mlx-community/DeepSeek-R1-3bit': ['quantized:deepseek-ai/DeepSeek-R1'],
    });
  });

  it('filters like the Hub: ?other=base_model:finetune:… lists the fine-tunes only', async () => {
    hub = await startFakeHub({ list: R1_LIST });
    const read = await fetchHubModels(`${hub.url}/api/models?other=base_model:finetune:deepseek-ai/DeepSeek-R1`, { env: {} });
    expect(read.models.map((model) => model.id)).toEqual(['perplexity-ai/r1-1776']);
  });

  it('reads one model info (GET /api/models/{id}), case-insensitively as the Hub does', async () => {
    hub = await startFakeHub({ infos: [R1_INFO] });
    const read = await fetchHubModels(`${hub.url}/api/models/DEEPSEEK-AI/deepseek-r1`, { env: {} });
    expect(read.models).toHaveLength(1);
    expect(read.models[0]).toMatchObject({ id: 'deepseek-ai/DeepSeek-R1', parameters: 684531386000, license: 'mit' });
  });

  it("sends HF_TOKEN as a bearer to the Hub's origin only, and never puts it in an error", async () => {
    hub = await startFakeHub({ list: R1_LIST, infos: [R1_INFO] });
    const token = 'hf_SECRET_token_0123456789';
    await fetchHubModels(`${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=3`, {
      env: { HF_TOKEN: token, HF_ENDPOINT: hub.url },
    });
    expect(hub.requests.map((request) => request.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    // The default endpoint is huggingface.co: another host never sees the token.
    await fetchHubModels(`${hub.url}/api/models/deepseek-ai/DeepSeek-R1`, { env: { HF_TOKEN: token } });
    expect(hub.requests.at(-1)!.authorization).toBeUndefined();
    const failure = await fetchHubModels(`${hub.url}/api/models/nobody/nothing`, { env: { HF_TOKEN: token, HF_ENDPOINT: hub.url } }).catch(
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('HTTP 404');
    expect((failure as Error).message).not.toContain(token);
  });

  it('refuses a next page on another origin (so a hostile Hub cannot redirect the token)', async () => {
    hub = await startFakeHub({ list: R1_LIST, nextOrigin: 'http://127.0.0.2:9' });
    await expect(fetchHubModels(`${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1&limit=2`, { env: {} })).rejects.toThrow(
      'the next page is on another origin (http://127.0.0.2:9); not followed',
    );
    expect(hub.requests).toHaveLength(1);
  });

  it('retries a 429 (Retry-After) and a 503, then reads the page', async () => {
    hub = await startFakeHub({ list: R1_LIST, failFirst: [429, 503] });
    const read = await fetchHubModels(`${hub.url}/api/models?filter=base_model:deepseek-ai/DeepSeek-R1`, { env: {}, retryBaseMs: 1 });
    expect(read.models).toHaveLength(5);
    expect(hub.requests).toHaveLength(3);
  });

  it('follows a redirect on the same origin (a renamed repository), refuses one to another origin', async () => {
    hub = await startFakeHub({
      infos: [R1_INFO],
      redirects: {
        '/api/models/deepseek/old-name': '/api/models/deepseek-ai/DeepSeek-R1',
        '/api/models/evil/x': 'http://127.0.0.2:9/steal',
      },
    });
    const token = 'hf_SECRET_token_0123456789';
    const read = await fetchHubModels(`${hub.url}/api/models/deepseek/old-name`, { env: { HF_TOKEN: token, HF_ENDPOINT: hub.url } });
    expect(read.models.map((model) => model.id)).toEqual(['deepseek-ai/DeepSeek-R1']);
    expect(hub.requests.map((request) => [request.path, request.authorization])).toEqual([
      ['/api/models/deepseek/old-name', `Bearer ${token}`],
      ['/api/models/deepseek-ai/DeepSeek-R1', `Bearer ${token}`],
    ]);
    await expect(fetchHubModels(`${hub.url}/api/models/evil/x`, { env: { HF_TOKEN: token, HF_ENDPOINT: hub.url } })).rejects.toThrow(
      'redirected to another origin (http://127.0.0.2:9)',
    );
  });

  it('names the URL when the Hub cannot be reached', async () => {
    hub = await startFakeHub();
    const url = hub.url;
    await hub.close();
    hub = undefined;
    await expect(fetchHubModels(`${url}/api/models/a/b`, { env: {} })).rejects.toThrow(`could not fetch ${url}/api/models/a/b`);
  });

  it('gives up after three answers of 5xx, naming the status', async () => {
    hub = await startFakeHub({ list: R1_LIST, failFirst: [500, 500, 500] });
    await expect(fetchHubModels(`${hub.url}/api/models?filter=x`, { env: {}, retryBaseMs: 1 })).rejects.toThrow('HTTP 500');
  });
});
