import { describe, expect, it } from 'vitest';
import { ConfigError, layer, loadConfig } from '../config/load.js';
import type { CatalogEntryRow } from '../store/repos/catalog.js';
import { canonicalJson, describeChange, fromRows, planSync, rowsOf, toEntries } from './synced.js';

const BASE = `bundled_catalog: false
providers:
  acme: { base_url: http://127.0.0.1:1/v1 }
  beta: { base_url: http://127.0.0.1:2/v1 }
`;

function rows(source: 'openrouter' | 'litellm' | 'hf', document: Parameters<typeof toEntries>[0]): CatalogEntryRow[] {
  return rowsOf(source, planSync(source, toEntries(document), []), 1);
}

describe('the synced catalog', () => {
  it('stores a model as its facts and one row per endpoint, and reads it back', () => {
    const document = {
      models: {
        'acme/m': {
          name: 'M',
          context_length: 4096,
          endpoints: [
            { provider: 'acme', model: 'm', pricing: { prompt: 1, completion: 2 } },
            { provider: 'beta', model: 'm-b', pricing: { prompt: 3, completion: 4 } },
          ],
        },
      },
    };
    const stored = rows('litellm', document);
    expect(stored.map((row) => `${row.kind} ${row.id}`)).toEqual(['model acme/m', 'endpoint acme/m@acme', 'endpoint acme/m@beta']);
    expect(fromRows(stored)).toEqual({ authors: {}, providers: {}, models: document.models });
  });

  it('layers a later source over an earlier one: facts by field, endpoints by provider', () => {
    const litellm = rows('litellm', {
      models: { 'acme/m': { endpoints: [{ provider: 'acme', model: 'm', pricing: { prompt: 1, completion: 2 } }] } },
    });
    const openrouter = rows('openrouter', {
      models: {
        'acme/m': { name: 'From OpenRouter', endpoints: [{ provider: 'beta', model: 'acme/m', pricing: { prompt: 5, completion: 6 } }] },
      },
    });
    const config = loadConfig({ text: BASE, synced: fromRows([...openrouter, ...litellm]) });
    const model = config.models.get('acme/m')!;
    expect(model.name).toBe('From OpenRouter');
    expect(model.endpoints.map((endpoint) => [endpoint.providerId, endpoint.pricing.prompt])).toEqual([
      ['acme', 1],
      ['beta', 5],
    ]);
  });

  it('never lets a layer erase a fact by leaving it out, nor a default (kind: chat) override a stated one', () => {
    const merged = layer(
      { models: { 'acme/e': { kind: 'embedding', name: 'E', endpoints: [{ provider: 'acme' }] } } },
      { models: { 'acme/e': { description: 'new', endpoints: [{ provider: 'beta' }] } } },
    );
    expect(merged?.models?.['acme/e']).toEqual({
      kind: 'embedding',
      name: 'E',
      description: 'new',
      endpoints: [{ provider: 'acme' }, { provider: 'beta' }],
    });
  });

  it('the config file still replaces a synced model whole', () => {
    const synced = fromRows(
      rows('openrouter', {
        models: { 'acme/m': { name: 'Synced', endpoints: [{ provider: 'beta', model: 'x', pricing: { prompt: 1, completion: 1 } }] } },
      }),
    );
    const config = loadConfig({
      text: `${BASE}models:\n  acme/m:\n    endpoints:\n      - { provider: acme, model: mine, pricing: { prompt: 9, completion: 9 } }\n`,
      synced,
    });
    expect(config.models.get('acme/m')!.name).toBe('acme/m');
    expect(config.models.get('acme/m')!.endpoints.map((endpoint) => endpoint.upstreamModel)).toEqual(['mine']);
  });

  it('drops a synced endpoint of a provider the file no longer has, and says so, rather than refusing to start', () => {
    const synced = fromRows(
      rows('litellm', { models: { 'acme/m': { endpoints: [{ provider: 'gone', model: 'x', pricing: { prompt: 1, completion: 1 } }] } } }),
    );
    const config = loadConfig({ text: BASE, synced });
    expect(config.models.get('acme/m')!.endpoints).toEqual([]);
    expect(config.warnings).toEqual(['acme/m: endpoints of unknown providers left out (gone)']);
  });

  it('names the bad field of a synced catalog that does not validate', () => {
    const bad = { models: { 'acme/m': { parameters: { total: 'lots' }, endpoints: [] } } };
    expect(() => loadConfig({ text: BASE, synced: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ text: BASE, synced: bad })).toThrow(/<synced catalog> at models\.acme\/m\.parameters\.total/);
    expect(() => loadConfig({ text: `${BASE}authors:\n  acme: { country: China }\n` })).toThrow(
      /authors\.acme\.country: expected an ISO 3166/,
    );
  });

  it('plans a re-import as all unchanged, and a change field by field', () => {
    const document = {
      models: { 'acme/m': { name: 'M', endpoints: [{ provider: 'acme', model: 'm', pricing: { prompt: 1, completion: 2 } }] } },
    };
    const stored = rows('litellm', document);
    const again = planSync('litellm', toEntries(structuredClone(document)), stored);
    expect([again.added.length, again.changed.length, again.unchanged.length, again.stale.length]).toEqual([0, 0, 2, 0]);
    const changedDocument = structuredClone(document);
    changedDocument.models['acme/m'].endpoints[0]!.pricing.prompt = 1.5;
    const changed = planSync('litellm', toEntries(changedDocument), stored);
    expect(changed.changed.map((entry) => describeChange(entry.previous, entry.body))).toEqual([['pricing.prompt: 1 → 1.5']]);
    // Another source's rows are never stale for this one.
    expect(planSync('openrouter', [], stored).stale).toEqual([]);
    expect(planSync('litellm', [], stored).stale.map((key) => key.id)).toEqual(['acme/m', 'acme/m@acme']);
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });
});
