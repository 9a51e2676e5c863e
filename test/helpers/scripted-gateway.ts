/**
 * A gateway serving `acme/scripted` from one scripted upstream (test/fakes/scripted-upstreams.ts),
 * with a key and the official clients on it: what the property tests of the surfaces start.
 */
import Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { startScriptedUpstream, type ScriptedKind, type ScriptedUpstream } from '../fakes/scripted-upstreams.js';
import { prepaidKey, startTestGateway, type TestGateway } from './gateway.js';

export interface ScriptedGateway {
  upstream: ScriptedUpstream;
  gateway: TestGateway;
  key: string;
  openai: OpenAI;
  anthropic: Anthropic;
  close(): Promise<void>;
}

/** The endpoint's list prices: USD per 1M tokens by kind (and per request), as the config spells them. */
export type Pricing = Record<string, number>;

/** A gateway config serving `acme/scripted` from the scripted upstream of `kind` at `url`. */
export function scriptedConfig(kind: ScriptedKind, url: string, pricing: Pricing = { prompt: 1, completion: 1 }): string {
  const prices = Object.entries(pricing)
    .map(([name, value]) => `${name}: ${value}`)
    .join(', ');
  return `bundled_catalog: false
providers:
  scripted: { type: ${kind}, base_url: ${url}, api_key_env: ACME_TEST_KEY }
models:
  acme/scripted:
    endpoints: [{ provider: scripted, model: scripted, pricing: { ${prices} } }]
`;
}

/** Starts the upstream and the gateway; `credit` makes the key a prepaid one (its ledger meters every answer). */
export async function startScriptedGateway(
  kind: ScriptedKind,
  options: { pricing?: Pricing; credit?: number } = {},
): Promise<ScriptedGateway> {
  const upstream = await startScriptedUpstream(kind);
  const gateway = await startTestGateway({ yaml: scriptedConfig(kind, upstream.url, options.pricing) });
  const key = options.credit === undefined ? await gateway.createKey('scripted') : await prepaidKey(gateway, 'scripted', options.credit);
  return {
    upstream,
    gateway,
    key,
    openai: gateway.client(key),
    anthropic: new Anthropic({ baseURL: gateway.url, apiKey: key, maxRetries: 0 }),
    close: async () => {
      await gateway.close();
      await upstream.close();
    },
  };
}
