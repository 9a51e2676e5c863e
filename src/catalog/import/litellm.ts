/**
 * LiteLLM's price map (`model_prices_and_context_window.json`, MIT) → endpoints of the catalog's
 * models at the catalog's providers. Each entry is `provider/upstream-name` with LiteLLM's
 * `litellm_provider`, a `mode`, per-token prices and limits. The importer adds no model and no
 * provider: it prices what the catalog already names, and lists everything else in the report.
 *
 * Which entries are read: `mode` chat, or embedding (joined only to an embedding model). Other
 * modes (image, audio, rerank, responses-only, completion…) are counted in the notes.
 *
 * Provider: `litellm_provider` maps to a catalog provider only through LITELLM_HOSTS (kept with
 * the provider directory, config/bundled-providers.ts). Entries of other providers are reported
 * once per provider ("provider X is not in the catalog"), not once per entry.
 *
 * THE JOIN RULE. An entry's upstream name is its key without the `litellm_provider/` prefix and
 * without a host's own path prefix (Fireworks' `accounts/fireworks/models/`). The name is compared
 * with each catalog model's names, in two tiers; the first tier that matches decides:
 *
 *   1. exact (case-insensitive): an upstream name with an organisation (`org/name`) against the
 *      model's id, its Hugging Face id and its `org/name` aliases; a bare name (no `/`) against the
 *      id's slug, the Hugging Face id's name part, and the aliases' names. An `org/name` whose
 *      organisation publishes the model (the id's author, the Hugging Face organisation, an alias's
 *      organisation) is also compared by its name part, as a bare name: Novita's
 *      `deepseek/deepseek-v3-0324` is DeepSeek's `DeepSeek-V3-0324`; `someone/DeepSeek-R1` is not.
 *   2. normalised: the same comparisons, in the same order, after normalising both sides:
 *      - lower case; Fireworks' version spelling `3p1` → `3.1` (a `p` between two digits);
 *      - `-`, `_`, `.`, `/`, `:` and spaces are one separator;
 *      - a quantization token (`fp8`, `fp4`, `fp16`, `bf16`, `int4`, `int8`, `mxfp4`, `nvfp4`,
 *        `fp6`, `mxfp8`, `fp32`, and `awq`, `gptq`, `gguf`) is dropped; the first one that is one
 *        of the schema's QUANTIZATIONS becomes the endpoint's `quantization`;
 *      - a host's serving-tier token is dropped when it is the last token, for hosts whose table
 *        entry names it: Together's `turbo` and `tput` are its deployments of the unchanged
 *        weights (Together sells Llama 3.3 70B Instruct only as `…-Instruct-Turbo`); no other
 *        host's suffix is dropped (DeepInfra's `-Turbo` and Fireworks' `-basic` stay unmatched);
 *      - letters and digits are split (`llama3` = `llama 3`, `70b` = `70 b`), and a `v` standing
 *        before a number is dropped (`v3p1` = `3.1`, `V3` = `3`).
 *      Every other token stays, so a version, a date or a variant never disappears: `R1-0528` ≠
 *      `R1`, `Llama-3.3-70B` ≠ `Llama-3.3-70B-Instruct`, `R1-Distill-Llama-70B` ≠ `R1`,
 *      `Qwen3-235B-A22B-Instruct-2507` ≠ `Qwen3-235B-A22B`, `Mistral-7B-Instruct-v3` ≠ `…-v0.3`.
 *   When two models match in the deciding tier, the entry is ambiguous and not imported.
 *
 * One endpoint per model and provider (the catalog keys endpoints by both): when several entries
 * of one provider join the same model, the exact match beats the normalised one, and that beats a
 * tier-stripped one; entries naming the same upstream model with the same data are one endpoint;
 * different upstream names at the same level are ambiguous and none is imported. An entry whose
 * model the catalog already serves at that provider under another upstream name (a hand-checked
 * endpoint) is left to the catalog and reported.
 *
 * Prices: USD per token → USD per 1M tokens, exactly (`perMillion`). `input`/`output_cost_per_token`
 * → prompt/completion, `cache_read_input_token_cost` (or DeepSeek's `input_cost_per_token_cache_hit`)
 * → cache_read, `cache_creation_input_token_cost` → cache_write, `output_cost_per_reasoning_token` →
 * reasoning; `…_above_Nk_tokens` and `tiered_pricing` become long-context tiers (as LiteLLM bills
 * them: above the threshold the whole request is priced at the tier's rates, completion at the base
 * rate when the tier names none). An entry with a price above MAX_PLAUSIBLE_PER_MILLION (a per-token
 * field holding a per-1M or per-1K figure, such as W&B's) is reported whatever its provider, and a
 * joined entry without a prompt or completion price is reported; neither is imported. Other prices (batch, priority, flex, audio, image, 1-hour cache writes) are counted in
 * the notes. `max_input_tokens` → context_length, `max_output_tokens` → max_output; a
 * `deprecation_date` on or before the map's `last_updated` day (else today) marks the endpoint
 * `deprecated`.
 * `supports_function_calling: false` removes tools from the provider's parameter list and
 * `supports_reasoning: true` adds `reasoning`; otherwise the endpoint keeps the provider's list.
 */
import { QUANTIZATIONS, type KnownParameter } from '../../config/schema.js';
import { LITELLM_HOSTS, type LiteLLMHost } from '../../config/bundled-providers.js';
import type { RawCatalog } from '../../config/load.js';
import type { ResolvedModel } from '../../config/types.js';
import { perMillion } from './openrouter.js';
import type { ImportContext, ImportResult, Unmatched } from './types.js';

/** Above this (USD per 1M tokens) a listed price is a unit mistake in the source, not a price. */
export const MAX_PLAUSIBLE_PER_MILLION = 1000;

export interface LiteLLMOptions {
  /** `litellm_provider` → catalog provider (default: the bundled table). */
  hosts?: Readonly<Record<string, LiteLLMHost>>;
  /** YYYY-MM-DD for deprecation dates (default: the map's `last_updated` day, else today). */
  today?: string;
}

type Endpoint = Record<string, unknown> & { provider: string; model: string };

interface Candidate {
  key: string;
  modelId: string;
  providerId: string;
  upstream: string;
  /** 0 exact, 1 normalised, 2 normalised after dropping a serving tier. */
  rank: number;
  endpoint: Endpoint;
}

const QUANTIZATION_NAMES = new Set<string>(QUANTIZATIONS.filter((name) => name !== 'unknown'));
/** Quantization formats that are not one of the schema's values: dropped from the name, not recorded. */
const OTHER_QUANTIZATION_TOKENS = new Set(['awq', 'gptq', 'gguf']);
const TOOL_PARAMETERS = new Set<string>(['tools', 'tool_choice', 'parallel_tool_calls']);
const REASONING_PARAMETERS: KnownParameter[] = ['reasoning', 'include_reasoning'];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** A price field: a finite number of 0 or more, in USD per 1M tokens; undefined when absent or not a price. */
function price(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return perMillion(value);
}

export interface NormalisedName {
  /** Tokens joined by one space. */
  key: string;
  /** The first quantization token that is one of the schema's QUANTIZATIONS. */
  quantization: string | undefined;
  /** Whether a serving-tier token was dropped. */
  tierDropped: boolean;
}

/** The normalisation of the join rule (see the header): both sides of a comparison go through it. */
export function normaliseName(name: string, tiers: readonly string[] = []): NormalisedName {
  const spelled = name.toLowerCase().replace(/(\d)p(?=\d)/g, '$1.');
  let quantization: string | undefined;
  const tokens: string[] = [];
  for (const token of spelled.split(/[-_./:\s]+/)) {
    if (token === '') continue;
    if (QUANTIZATION_NAMES.has(token)) {
      quantization ??= token;
      continue;
    }
    if (OTHER_QUANTIZATION_TOKENS.has(token)) continue;
    tokens.push(token);
  }
  let tierDropped = false;
  if (tokens.length > 1 && tiers.includes(tokens[tokens.length - 1]!)) {
    tokens.pop();
    tierDropped = true;
  }
  const parts: string[] = [];
  for (const token of tokens) parts.push(...(token.match(/[a-z]+|\d+/g) ?? []));
  const kept = parts.filter((part, index) => !(part === 'v' && /^\d/.test(parts[index + 1] ?? '')));
  return { key: kept.join(' '), quantization, tierDropped };
}

/** The catalog's names, indexed for the two tiers of the join rule. */
class NameIndex {
  private readonly exactFull = new Map<string, Set<string>>();
  private readonly exactBare = new Map<string, Set<string>>();
  private readonly normalFull = new Map<string, Set<string>>();
  private readonly normalBare = new Map<string, Set<string>>();
  /** Per model, the organisations it is published under: its author id, its Hugging Face organisation, its aliases' organisations. */
  private readonly organisations = new Map<string, Set<string>>();

  constructor(models: Iterable<ResolvedModel>) {
    for (const model of models) {
      const full = new Set<string>();
      const bare = new Set<string>();
      const addFull = (name: string): void => {
        full.add(name);
        bare.add(name.slice(name.lastIndexOf('/') + 1));
      };
      addFull(model.id.replace(/^~/, '').replace(/:.*$/, ''));
      if (model.huggingFaceId) addFull(model.huggingFaceId);
      for (const alias of model.aliases) {
        if (alias.includes('/')) addFull(alias);
        else bare.add(alias);
      }
      this.organisations.set(model.id, new Set([...full].map((name) => name.slice(0, name.lastIndexOf('/')).toLowerCase())));
      for (const name of full) {
        add(this.exactFull, name.toLowerCase(), model.id);
        add(this.normalFull, normaliseName(name).key, model.id);
      }
      for (const name of bare) {
        add(this.exactBare, name.toLowerCase(), model.id);
        add(this.normalBare, normaliseName(name).key, model.id);
      }
    }
  }

  /** The models an upstream name joins, with the tier that decided (empty when none). */
  lookup(upstream: string, tiers: readonly string[]): { models: string[]; rank: number; quantization: string | undefined } {
    const slash = upstream.lastIndexOf('/');
    const organisation = slash >= 0 ? upstream.slice(0, slash).toLowerCase() : undefined;
    const name = upstream.slice(slash + 1);
    // An `org/name` whose organisation publishes the model is also compared by its name part (Novita's `deepseek/deepseek-v3-0324`).
    const owned = (found: Set<string> | undefined): string[] =>
      [...(found ?? [])].filter((id) => organisation !== undefined && this.organisations.get(id)!.has(organisation));
    const normal = normaliseName(upstream, tiers);
    const normalName = normaliseName(name, tiers);
    const tiersInOrder: Array<[number, () => string[], NormalisedName | undefined]> = organisation
      ? [
          [0, () => [...(this.exactFull.get(upstream.toLowerCase()) ?? [])], undefined],
          [0, () => owned(this.exactBare.get(name.toLowerCase())), undefined],
          [normal.tierDropped ? 2 : 1, () => [...(this.normalFull.get(normal.key) ?? [])], normal],
          [normalName.tierDropped ? 2 : 1, () => owned(this.normalBare.get(normalName.key)), normalName],
        ]
      : [
          [0, () => [...(this.exactBare.get(upstream.toLowerCase()) ?? [])], undefined],
          [normal.tierDropped ? 2 : 1, () => [...(this.normalBare.get(normal.key) ?? [])], normal],
        ];
    for (const [rank, find, normalised] of tiersInOrder) {
      const models = find();
      if (models.length > 0) return { models, rank, quantization: normalised?.quantization };
    }
    return { models: [], rank: -1, quantization: undefined };
  }
}

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  if (key === '') return;
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

/** LiteLLM's long-context prices: `…_above_Nk_tokens` fields, or DashScope's `tiered_pricing` list. */
interface Tier {
  above_prompt_tokens: number;
  prompt: number;
  completion: number;
  cache_read?: number;
  cache_write?: number;
}

function tiers(entry: Record<string, unknown>, completion: number): Tier[] | undefined {
  const byThreshold = new Map<number, Record<string, number>>();
  const pattern =
    /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;
  const field = {
    input_cost_per_token: 'prompt',
    output_cost_per_token: 'completion',
    cache_read_input_token_cost: 'cache_read',
    cache_creation_input_token_cost: 'cache_write',
  } as const;
  for (const [name, value] of Object.entries(entry)) {
    const match = pattern.exec(name);
    const amount = price(value);
    if (!match || amount === undefined) continue;
    const threshold = Number(match[2]) * 1000;
    const tier = byThreshold.get(threshold) ?? {};
    tier[field[match[1] as keyof typeof field]] = amount;
    byThreshold.set(threshold, tier);
  }
  if (Array.isArray(entry.tiered_pricing)) {
    for (const item of entry.tiered_pricing) {
      if (!isObject(item) || !Array.isArray(item.range) || typeof item.range[0] !== 'number' || item.range[0] <= 0) continue;
      const prompt = price(item.input_cost_per_token);
      if (prompt === undefined) continue;
      const tier: Record<string, number> = { prompt };
      const output = price(item.output_cost_per_token);
      if (output !== undefined) tier.completion = output;
      const cacheRead = price(item.cache_read_input_token_cost);
      if (cacheRead !== undefined) tier.cache_read = cacheRead;
      byThreshold.set(item.range[0], tier);
    }
  }
  const out = [...byThreshold.entries()]
    .filter(([, tier]) => tier.prompt !== undefined)
    .sort(([left], [right]) => left - right)
    .map(([threshold, tier]): Tier => ({
      above_prompt_tokens: threshold,
      prompt: tier.prompt!,
      completion: tier.completion ?? completion,
      ...(tier.cache_read !== undefined ? { cache_read: tier.cache_read } : {}),
      ...(tier.cache_write !== undefined ? { cache_write: tier.cache_write } : {}),
    }));
  return out.length > 0 ? out : undefined;
}

/** The base prices of an entry, with DashScope's first tier (range from 0) standing in when there is no flat price. */
function basePrices(entry: Record<string, unknown>): { prompt?: number; completion?: number; cacheRead?: number } {
  let prompt = price(entry.input_cost_per_token);
  let completion = price(entry.output_cost_per_token);
  let cacheRead = price(entry.cache_read_input_token_cost) ?? price(entry.input_cost_per_token_cache_hit);
  if (prompt === undefined && Array.isArray(entry.tiered_pricing)) {
    const first = entry.tiered_pricing.find((item) => isObject(item) && Array.isArray(item.range) && item.range[0] === 0);
    if (isObject(first)) {
      prompt = price(first.input_cost_per_token);
      completion ??= price(first.output_cost_per_token);
      cacheRead ??= price(first.cache_read_input_token_cost);
    }
  }
  return { prompt, completion, cacheRead };
}

/** The highest of the prices the importer would bill, in USD per 1M tokens (0 when none). */
function highestBilledPrice(entry: Record<string, unknown>): number {
  const billed =
    /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)(_above_\d+k_tokens)?$|^(input_cost_per_token_cache_hit|output_cost_per_reasoning_token)$/;
  let highest = 0;
  for (const [field, value] of Object.entries(entry)) if (billed.test(field)) highest = Math.max(highest, price(value) ?? 0);
  if (Array.isArray(entry.tiered_pricing)) {
    for (const tier of entry.tiered_pricing) {
      if (!isObject(tier)) continue;
      for (const field of ['input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost'])
        highest = Math.max(highest, price(tier[field]) ?? 0);
    }
  }
  return highest;
}

/** Fields with a price the catalog has no place for (counted in the notes). */
const UNBILLED = /(_batches|_priority|_flex|audio|image|video|character|_above_1hr|per_query|per_second|per_session)/;

export function importLiteLLM(json: unknown, context: ImportContext, options: LiteLLMOptions = {}): ImportResult {
  if (!isObject(json) || !Object.values(json).some((entry) => isObject(entry) && typeof entry.litellm_provider === 'string')) {
    throw new Error('not a LiteLLM price map: expected {"provider/model": {"litellm_provider", "input_cost_per_token", …}}');
  }
  const hosts = options.hosts ?? LITELLM_HOSTS;
  const lastUpdated =
    typeof json.last_updated === 'string' && /^\d{4}-\d{2}-\d{2}/.test(json.last_updated) ? json.last_updated.slice(0, 10) : undefined;
  const today = options.today ?? lastUpdated ?? new Date().toISOString().slice(0, 10);
  const catalog = context.catalog;
  const index = new NameIndex(catalog.models.values());
  const unmatched: Unmatched[] = [];
  const notes: string[] = [];
  const otherModes = new Map<string, number>();
  const outside = new Map<string, number>();
  const unbilled = new Map<string, number>();
  const candidates = new Map<string, Candidate[]>();
  let entries = 0;
  let notModels = 0;
  let done = 0;

  for (const [key, entry] of Object.entries(json)) {
    if (++done % 500 === 0) context.onProgress?.(`litellm: ${done} entries read`);
    if (key === 'sample_spec' || !isObject(entry) || typeof entry.litellm_provider !== 'string') {
      notModels++;
      continue;
    }
    entries++;
    const mode = typeof entry.mode === 'string' ? entry.mode : '(none)';
    if (mode !== 'chat' && mode !== 'embedding') {
      otherModes.set(mode, (otherModes.get(mode) ?? 0) + 1);
      continue;
    }
    const highest = highestBilledPrice(entry);
    if (highest > MAX_PLAUSIBLE_PER_MILLION) {
      unmatched.push({
        name: key,
        reason: `implausible price: ${highest} USD per 1M tokens (above ${MAX_PLAUSIBLE_PER_MILLION}; the source likely lists it in another unit)`,
      });
      continue;
    }
    const source = entry.litellm_provider;
    const host = Object.hasOwn(hosts, source) ? hosts[source] : undefined;
    if (!host || !catalog.providers.has(host.provider)) {
      outside.set(source, (outside.get(source) ?? 0) + 1);
      continue;
    }
    const prefix = host.keyPrefix ?? `${source}/`;
    let name = key.startsWith(prefix) ? key.slice(prefix.length) : key;
    let upstream = name;
    if (host.modelPrefix) {
      if (name.startsWith(host.modelPrefix)) name = name.slice(host.modelPrefix.length);
      else if (!name.includes('/')) upstream = `${host.modelPrefix}${name}`;
    }
    if (name === '') {
      unmatched.push({ name: key, reason: 'no model name after the provider prefix' });
      continue;
    }
    const match = index.lookup(name, host.tiers ?? []);
    if (match.models.length === 0) {
      unmatched.push({ name: key, reason: 'no catalog model has this name (see the join rule)' });
      continue;
    }
    if (match.models.length > 1) {
      unmatched.push({ name: key, reason: `ambiguous: matches ${match.models.sort().join(' and ')}` });
      continue;
    }
    const model = catalog.models.get(match.models[0]!)!;
    const kind = mode === 'embedding' ? 'embedding' : 'chat';
    if (model.kind !== kind) {
      unmatched.push({
        name: key,
        reason: `${mode === 'embedding' ? 'an embedding' : 'a chat'} entry, but ${model.id} is a${model.kind === 'embedding' ? 'n' : ''} ${model.kind} model`,
      });
      continue;
    }
    const base = basePrices(entry);
    const completion = base.completion ?? (kind === 'embedding' && base.prompt !== undefined ? 0 : undefined);
    if (base.prompt === undefined || completion === undefined) {
      unmatched.push({ name: key, reason: `no price (input_cost_per_token and output_cost_per_token) for ${model.id}` });
      continue;
    }
    const longContext = tiers(entry, completion);
    const cacheWrite = price(entry.cache_creation_input_token_cost);
    const reasoning = price(entry.output_cost_per_reasoning_token);
    const pricing: Record<string, unknown> = {
      prompt: base.prompt,
      completion,
      ...(base.cacheRead !== undefined ? { cache_read: base.cacheRead } : {}),
      ...(cacheWrite !== undefined ? { cache_write: cacheWrite } : {}),
      ...(reasoning !== undefined ? { reasoning } : {}),
      ...(longContext ? { tiers: longContext } : {}),
    };
    for (const field of Object.keys(entry)) {
      if (/cost|price/.test(field) && UNBILLED.test(field) && (price(entry[field]) ?? 0) > 0)
        unbilled.set(field, (unbilled.get(field) ?? 0) + 1);
    }
    const provider = catalog.providers.get(host.provider)!;
    let parameters: string[] | undefined;
    if (kind === 'chat' && (entry.supports_function_calling === false || entry.supports_reasoning === true)) {
      const list = provider.supportedParameters.filter(
        (parameter) => !(entry.supports_function_calling === false && TOOL_PARAMETERS.has(parameter)),
      );
      if (entry.supports_reasoning === true)
        for (const parameter of REASONING_PARAMETERS) if (!list.includes(parameter)) list.push(parameter);
      parameters = list;
    }
    const deprecation =
      typeof entry.deprecation_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(entry.deprecation_date) ? entry.deprecation_date : undefined;
    const endpoint: Endpoint = {
      provider: host.provider,
      model: upstream,
      pricing,
      ...(positiveInt(entry.max_input_tokens) ? { context_length: entry.max_input_tokens } : {}),
      ...(kind === 'chat' && positiveInt(entry.max_output_tokens) ? { max_output: entry.max_output_tokens } : {}),
      ...(match.quantization ? { quantization: match.quantization } : {}),
      ...(parameters ? { supported_parameters: parameters } : {}),
      ...(deprecation && deprecation <= today ? { status: 'deprecated' } : {}),
    };
    const group = `${model.id}\u0000${host.provider}`;
    const list = candidates.get(group) ?? [];
    list.push({ key, modelId: model.id, providerId: host.provider, upstream, rank: match.rank, endpoint });
    candidates.set(group, list);
  }

  const models: NonNullable<RawCatalog['models']> = {};
  let duplicates = 0;
  for (const list of candidates.values()) {
    const { modelId, providerId } = list[0]!;
    const existing = catalog.models.get(modelId)!.endpoints.find((endpoint) => endpoint.providerId === providerId);
    const usable = list.filter((candidate) => {
      if (!existing || existing.upstreamModel === candidate.upstream) return true;
      unmatched.push({
        name: candidate.key,
        reason: `the catalog already serves ${modelId} at ${providerId} as "${existing.upstreamModel}"`,
      });
      return false;
    });
    if (usable.length === 0) continue;
    const best = Math.min(...usable.map((candidate) => candidate.rank));
    const top = usable.filter((candidate) => candidate.rank === best);
    for (const candidate of usable) {
      if (candidate.rank !== best) {
        unmatched.push({
          name: candidate.key,
          reason: `${providerId} has a closer match for ${modelId}: ${top.map((other) => other.key).join(', ')}`,
        });
      }
    }
    const distinct = new Map(top.map((candidate) => [canonical(candidate.endpoint), candidate]));
    if (distinct.size > 1) {
      const sameName = new Set(top.map((candidate) => candidate.upstream)).size === 1;
      const keys = top.map((other) => other.key).join(', ');
      for (const candidate of top) {
        unmatched.push({
          name: candidate.key,
          reason: sameName
            ? `conflicting: ${top.length} entries of ${providerId} list "${candidate.upstream}" (${modelId}) with different data (${keys})`
            : `ambiguous: ${top.length} entries of ${providerId} match ${modelId} equally well (${keys})`,
        });
      }
      continue;
    }
    duplicates += top.length - 1;
    const model = (models[modelId] ??= { endpoints: [] });
    model.endpoints!.push(top[0]!.endpoint);
  }

  const sorted: NonNullable<RawCatalog['models']> = {};
  for (const id of Object.keys(models).sort()) {
    sorted[id] = {
      endpoints: [...models[id]!.endpoints!].sort((left, right) => String(left.provider).localeCompare(String(right.provider))),
    };
  }
  const endpointCount = Object.values(sorted).reduce((total, model) => total + model.endpoints!.length, 0);
  notes.push(
    `${entries} entries read: ${endpointCount} endpoints for ${Object.keys(sorted).length} models, ${unmatched.length} entries not imported (listed)`,
  );
  if (duplicates > 0)
    notes.push(`${duplicates} entries repeat another entry of the same provider and model word for word (one endpoint each)`);
  if (notModels > 0) notes.push(`${notModels} top-level keys are not model entries (sample_spec, last_updated…)`);
  if (otherModes.size > 0) {
    const skipped = [...otherModes.entries()].sort(([left], [right]) => left.localeCompare(right));
    notes.push(
      `${skipped.reduce((total, [, count]) => total + count, 0)} entries of other modes skipped: ${skipped.map(([mode, count]) => `${mode} ${count}`).join(', ')}`,
    );
  }
  for (const [field, count] of [...unbilled.entries()].sort(([left], [right]) => left.localeCompare(right))) {
    notes.push(`${count} imported entries also price "${field}", which the catalog does not bill; left out`);
  }
  const grouped = [...outside.entries()]
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([source, count]): Unmatched => {
      const host = Object.hasOwn(hosts, source) ? hosts[source] : undefined;
      return {
        name: `${source}/* (${count} ${count === 1 ? 'entry' : 'entries'})`,
        reason: host
          ? `provider ${source} (catalog id ${host.provider}) is not in the catalog`
          : `provider ${source} is not in the catalog`,
      };
    });
  return {
    source: 'litellm',
    document: { authors: {}, providers: {}, models: sorted },
    unmatched: [...grouped, ...unmatched.sort((left, right) => left.name.localeCompare(right.name))],
    notes,
  };
}

/** Canonical JSON, so two entries with the same data compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    isObject(item) ? Object.fromEntries(Object.entries(item).sort(([left], [right]) => (left < right ? -1 : 1))) : item,
  );
}
