/**
 * Host verification: is each host of a model serving it faithfully? The same suite is run through
 * every endpoint of the model (each call pinned to its provider, no fallback), plus a fixed set of
 * tool-call prompts, and each host is compared with a reference endpoint the operator trusts (the
 * author's own API, typically):
 *
 * - accuracy: the host's suite score against the reference's — flagged when significantly lower
 *   (one-sided two-proportion z-test at α = 0.05, `significantlyBelow` in stats.ts);
 * - tool calls (as Moonshot's K2 Vendor Verifier measures them): for each prompt, did the host call a
 *   tool where the reference did (F1 over "called a tool", the reference's decisions the truth), and
 *   are the arguments of each call it made valid JSON for the tool's schema (schema accuracy) —
 *   flagged when F1 < 0.9 or schema accuracy is more than 0.1 below the reference's;
 * - agreement: the share of items whose extracted answer equals the reference's (reported, and
 *   flagged when below 0.5 while the reference's accuracy is above 0.5 — a host answering other
 *   questions than asked).
 * The reference passes by definition. Each verification is stored; the latest per endpoint is what
 * `provider: {verified: true}` admits (passed) or excludes (flagged, or never verified).
 */
import { randomBase62 } from '../lib/ids.js';
import type { EvalsRepo, VerificationRow } from '../store/repos/evals.js';
import { runSuite, type Progress, type RunResult } from './runner.js';
import { significantlyBelow } from './stats.js';
import type { Suite } from './suite.js';

/** The tool offered by every tool-call probe. */
export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city'],
      additionalProperties: false,
    },
  },
} as const;

/** Prompts where a tool call is expected (weather) and where it is not. */
export const TOOL_PROMPTS: readonly string[] = [
  'What is the weather in Paris right now?',
  'Is it raining in London? Check the weather.',
  'I am flying to Tokyo tomorrow: what is the weather there?',
  'Tell me the weather in Berlin in fahrenheit.',
  'What is the weather in Madrid?',
  'Should I take an umbrella in Oslo today? Look up the weather.',
  'What is 12 times 12?',
  'Write one sentence about the sea.',
  'Translate "good morning" into French.',
  'Name three primary colours.',
];

export interface ToolCheck {
  prompt: string;
  called: boolean;
  /** Null when no call was made. */
  valid: boolean | null;
  error?: string;
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  additionalProperties?: boolean;
}

/** Whether `value` fits the schema subset tools use: object, properties, required, types, enum, additionalProperties. */
export function fitsSchema(value: unknown, schema: JsonSchema): boolean {
  if (schema.enum && !schema.enum.some((allowed) => allowed === value)) return false;
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const record = value as Record<string, unknown>;
      for (const field of schema.required ?? []) if (!(field in record)) return false;
      for (const [field, item] of Object.entries(record)) {
        const property = schema.properties?.[field];
        if (!property) {
          if (schema.additionalProperties === false) return false;
          continue;
        }
        if (!fitsSchema(item, property)) return false;
      }
      return true;
    }
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    default:
      return true;
  }
}

/** Asks every tool prompt through one provider. */
export async function checkTools(gatewayUrl: string, apiKey: string, model: string, provider: string): Promise<ToolCheck[]> {
  const out: ToolCheck[] = [];
  for (const prompt of TOOL_PROMPTS) {
    const response = await fetch(`${gatewayUrl.replace(/\/$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-title': 'agora bench verify' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: prompt }],
        tools: [WEATHER_TOOL],
        tool_choice: 'auto',
        temperature: 0,
        max_tokens: 256,
        provider: { only: [provider], allow_fallbacks: false },
      }),
    });
    const text = await response.text();
    if (!response.ok) {
      out.push({ prompt, called: false, valid: null, error: `${response.status}: ${text.slice(0, 200)}` });
      continue;
    }
    const json = JSON.parse(text) as {
      choices?: Array<{ message?: { tool_calls?: Array<{ function?: { name?: string; arguments?: string } }> } }>;
    };
    const calls = json.choices?.[0]?.message?.tool_calls ?? [];
    if (calls.length === 0) {
      out.push({ prompt, called: false, valid: null });
      continue;
    }
    const valid = calls.every((call) => {
      if (call.function?.name !== WEATHER_TOOL.function.name) return false;
      try {
        return fitsSchema(JSON.parse(call.function.arguments ?? ''), WEATHER_TOOL.function.parameters as unknown as JsonSchema);
      } catch {
        return false;
      }
    });
    out.push({ prompt, called: true, valid });
  }
  return out;
}

/** F1 of the host's "called a tool" decisions against the reference's; schema accuracy over the host's calls. */
export function toolScores(host: ToolCheck[], reference: ToolCheck[]): { f1: number; schemaAccuracy: number | null } {
  let truePositive = 0;
  let falsePositive = 0;
  let falseNegative = 0;
  host.forEach((check, index) => {
    const expected = reference[index]?.called ?? false;
    if (check.called && expected) truePositive++;
    else if (check.called) falsePositive++;
    else if (expected) falseNegative++;
  });
  const f1 =
    truePositive + falsePositive + falseNegative === 0 ? 1 : (2 * truePositive) / (2 * truePositive + falsePositive + falseNegative);
  const calls = host.filter((check) => check.called);
  return { f1, schemaAccuracy: calls.length === 0 ? null : calls.filter((check) => check.valid).length / calls.length };
}

export interface VerifyOptions {
  gatewayUrl: string;
  apiKey: string;
  suite: Suite;
  source: string;
  model: string;
  /** The trusted endpoint's provider. */
  reference: string;
  /** The hosts to check (the reference is always run). */
  providers: string[];
  limit?: number | undefined;
  concurrency: number;
  seed?: number | undefined;
  store: Pick<
    EvalsRepo,
    'createRun' | 'findRun' | 'findResumable' | 'updateRun' | 'doneKeys' | 'insertItem' | 'totals' | 'items' | 'insertVerification'
  >;
  onProgress?: (provider: string, progress: Progress) => void;
}

export interface HostVerdict {
  provider: string;
  run: RunResult;
  tools: { f1: number; schemaAccuracy: number | null };
  agreement: number;
  row: VerificationRow;
}

export async function verifyHosts(options: VerifyOptions): Promise<HostVerdict[]> {
  const providers = [options.reference, ...options.providers.filter((provider) => provider !== options.reference)];
  const runs = new Map<string, RunResult>();
  const tools = new Map<string, ToolCheck[]>();
  for (const provider of providers) {
    const result = await runSuite({
      gatewayUrl: options.gatewayUrl,
      apiKey: options.apiKey,
      suite: options.suite,
      source: options.source,
      model: options.model,
      provider,
      limit: options.limit,
      concurrency: options.concurrency,
      repeats: 1,
      temperature: 0,
      seed: options.seed,
      purpose: 'verify',
      store: options.store,
      ...(options.onProgress ? { onProgress: (progress: Progress) => options.onProgress!(provider, progress) } : {}),
    });
    runs.set(provider, result);
    tools.set(provider, await checkTools(options.gatewayUrl, options.apiKey, options.model, provider));
  }
  const reference = runs.get(options.reference)!;
  const referenceItems = new Map(
    (await options.store.items(reference.run.id)).map((item) => [`${item.item_id}#${item.repeat}`, item.extracted]),
  );
  const referenceTools = tools.get(options.reference)!;
  const referenceToolScores = toolScores(referenceTools, referenceTools);
  const verdicts: HostVerdict[] = [];
  for (const provider of providers) {
    const run = runs.get(provider)!;
    const items = await options.store.items(run.run.id);
    const agreeing = items.filter((item) => {
      const theirs = referenceItems.get(`${item.item_id}#${item.repeat}`);
      return theirs !== undefined && theirs !== null && theirs === item.extracted;
    }).length;
    const agreement = items.length === 0 ? 0 : agreeing / items.length;
    const scores = toolScores(tools.get(provider)!, referenceTools);
    const reasons: string[] = [];
    if (provider !== options.reference) {
      const host = { correct: run.totals.correct, n: run.totals.n };
      const base = { correct: reference.totals.correct, n: reference.totals.n };
      if (significantlyBelow(host, base))
        reasons.push(
          `accuracy ${pct(host.correct / Math.max(host.n, 1))} is significantly below the reference's ${pct(base.correct / Math.max(base.n, 1))}`,
        );
      if (scores.f1 < 0.9) reasons.push(`tool-call F1 ${scores.f1.toFixed(2)} < 0.90`);
      const referenceSchema = referenceToolScores.schemaAccuracy ?? 1;
      if (scores.schemaAccuracy !== null && scores.schemaAccuracy < referenceSchema - 0.1)
        reasons.push(`tool arguments valid for the schema ${pct(scores.schemaAccuracy)} against the reference's ${pct(referenceSchema)}`);
      if (agreement < 0.5 && base.correct / Math.max(base.n, 1) > 0.5)
        reasons.push(`agrees with the reference on ${pct(agreement)} of items`);
    }
    const row: VerificationRow = {
      id: `ver_${randomBase62(14)}`,
      model: options.model,
      provider,
      reference: options.reference,
      suite: options.suite.name,
      run_id: run.run.id,
      reference_run_id: reference.run.id,
      correct: run.totals.correct,
      n: run.totals.n,
      reference_correct: reference.totals.correct,
      reference_n: reference.totals.n,
      agreement,
      tool_f1: scores.f1,
      schema_accuracy: scores.schemaAccuracy,
      status: reasons.length > 0 ? 'flagged' : 'passed',
      reason:
        provider === options.reference
          ? 'the reference endpoint'
          : reasons.length > 0
            ? reasons.join('; ')
            : 'consistent with the reference',
      created_at: Date.now(),
    };
    await options.store.insertVerification(row);
    verdicts.push({ provider, run, tools: scores, agreement, row });
  }
  return verdicts;
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
