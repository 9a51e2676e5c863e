/**
 * The Hugging Face Hub client: model infos in the Hub API's documented shape, normalised to
 * `HubModel`, read from a file or fetched from the Hub.
 *
 * Shapes read (https://huggingface.co/docs/hub/api, huggingface_hub's `ModelInfo`):
 *  - `GET /api/models/{id}`: one model info `{id, modelId, author, downloads, likes, tags,
 *    cardData: {license, base_model, base_model_relation, library_name}, createdAt, lastModified,
 *    pipeline_tag, library_name, gated: false | "auto" | "manual", safetensors: {total}}`;
 *  - `GET /api/models?filter=base_model:…` (or `?other=base_model:finetune:…`): an array of the same
 *    (compact: without cardData unless asked), paged with `Link: <…>; rel="next"`;
 *  - a file holding either of those, or the model-tree sample format of
 *    `shared/data/hf-lineage-sample.json` (`{trees: [{root, models: [{id, tags, cardData_yaml,
 *    children_finetunes, children_adapters, children_quantized, children_merges, …}]}]}`).
 *
 * Lineage facts (`HubModel.bases`), the edge rule — an edge parent → child with relation R is taken
 * from any of:
 *  1. the child's tags `base_model:<R>:<parent>`: the Hub's own typed reading of the card (source `tags`);
 *  2. the parent's model-tree list of kind R naming the child (the sample's `children_*` lists;
 *     source `parent`) — for the sample these are a superset of (1): adapters, quantizations and
 *     merges have no rows of their own, only their parent's list names them;
 *  3. only when the child has no `base_model:` tag at all (a hand-written file, an old info): its
 *     card's `base_model`, with `base_model_relation` or the Hub's documented inference (source `card`).
 * The union is deduplicated per (parent, child, relation), ids compared case-insensitively (the Hub
 * treats them so). A card's extra `base_model` entries that the Hub did not turn into tags are not
 * edges: in the sample 41 cards list further bases (gpt2, Kokoro-82M, …) the Hub ignored.
 *
 * HF_TOKEN (from the environment, or `token`) is sent as a bearer only to the Hub's own origin
 * (`https://huggingface.co`, or HF_ENDPOINT's) and never logged; `rel="next"` links are followed only
 * on the origin of the first URL.
 */
import { readFile } from 'node:fs/promises';
import { fetch } from 'undici';
import { parse as parseYaml } from 'yaml';

/** How a derivative relates to its base, as the Hub names it (`base_model_relation`). */
export type LineageRelation = 'finetune' | 'adapter' | 'quantized' | 'merge';
export const LINEAGE_RELATIONS: readonly LineageRelation[] = ['finetune', 'adapter', 'quantized', 'merge'];

/** Where an edge was read: the child's `base_model:` tags, its parent's model-tree list, or the child's card. */
export type BaseSource = 'tags' | 'parent' | 'card';

export interface HubBase {
  /** The base model's Hub id, as the source spells it. */
  id: string;
  relation: LineageRelation;
  /** Every source that names this (base, relation); at least one. */
  sources: BaseSource[];
}

/** One model's facts, normalised. A fact the source does not give is null. */
export interface HubModel {
  /** The Hub id (`author/name`), as the Hub spells it. */
  id: string;
  /** The owning user or organisation (the id's namespace when the source gives nothing else). */
  author: string | null;
  downloads: number | null;
  likes: number | null;
  /** ISO 8601. */
  createdAt: string | null;
  lastModified: string | null;
  /** The card's `license` (or the `license:` tag): an SPDX-like id such as `mit`, `apache-2.0`, `llama2`, `other`. */
  license: string | null;
  pipelineTag: string | null;
  libraryName: string | null;
  /** false (open), "auto" or "manual" (access requests), null when unknown. */
  gated: false | 'auto' | 'manual' | null;
  tags: string[];
  /** The models this one derives from (several for a merge). */
  bases: HubBase[];
  /** `safetensors.total`: the parameter count, when the Hub computed it. */
  parameters: number | null;
  /**
   * False when only the id (and where it comes from) is known: a model named by its parent's
   * model-tree list with no info of its own, or a row whose metadata the scraper failed to get.
   * An import never lets such a model overwrite facts already stored.
   */
  known: boolean;
}

export class HubFormatError extends Error {
  override readonly name = 'HubFormatError';
}

/** The Hub's id rule, loosely: `name` or `namespace/name`, letters, digits, `-`, `_`, `.`; at most 200 characters. */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9._-]+)?$/;

export function isHubId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 200 && HUB_ID.test(value) && !value.includes('..');
}

function isRelation(value: unknown): value is LineageRelation {
  return typeof value === 'string' && (LINEAGE_RELATIONS as readonly string[]).includes(value);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

/** An ISO 8601 instant, from the Hub's `2025-01-20T03:46:07.000Z` or the scraper's `2025-01-20 03:46:07+00:00`. */
function instant(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const time = Date.parse(raw.includes('T') ? raw : raw.replace(' ', 'T'));
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

function gatedValue(value: unknown): HubModel['gated'] {
  if (value === false || value === 'false') return false;
  if (value === 'auto' || value === true || value === 'true') return 'auto';
  if (value === 'manual') return 'manual';
  return null;
}

function namespaceOf(id: string): string | null {
  const slash = id.indexOf('/');
  return slash > 0 ? id.slice(0, slash) : null;
}

/** `base_model:<id>` and `base_model:<relation>:<id>` tags → the ids, with the relation when the tag has one. */
export function baseModelTags(tags: readonly string[]): { typed: Array<{ id: string; relation: LineageRelation }>; untyped: string[] } {
  const typed: Array<{ id: string; relation: LineageRelation }> = [];
  const untyped: string[] = [];
  for (const tag of tags) {
    if (!tag.startsWith('base_model:')) continue;
    const rest = tag.slice('base_model:'.length);
    const colon = rest.indexOf(':');
    if (colon > 0 && isRelation(rest.slice(0, colon))) {
      const id = rest.slice(colon + 1);
      if (isHubId(id)) typed.push({ id, relation: rest.slice(0, colon) as LineageRelation });
    } else if (isHubId(rest)) {
      untyped.push(rest);
    }
  }
  return { typed, untyped };
}

/** The card's `base_model` (a string or a list of strings), valid ids only. */
function cardBases(cardData: Record<string, unknown> | undefined): string[] {
  const value = cardData?.base_model;
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter(isHubId);
}

/**
 * The relation of an untyped base, as the Hub documents its inference: the card's explicit
 * `base_model_relation` first; then an adapter (PEFT library), a quantization (GGUF weights), a
 * merge (several bases), else a fine-tune.
 */
function inferRelation(
  cardData: Record<string, unknown> | undefined,
  tags: readonly string[],
  library: string | null,
  bases: number,
): LineageRelation {
  const explicit = cardData?.base_model_relation;
  if (isRelation(explicit)) return explicit;
  if (library === 'peft' || tags.includes('peft')) return 'adapter';
  if (tags.includes('gguf')) return 'quantized';
  return bases > 1 ? 'merge' : 'finetune';
}

/** Adds (id, relation, source) to `bases`, deduplicated per (lower-case id, relation). */
function addBase(bases: HubBase[], id: string, relation: LineageRelation, source: BaseSource): void {
  const key = id.toLowerCase();
  const existing = bases.find((base) => base.relation === relation && base.id.toLowerCase() === key);
  if (!existing) bases.push({ id, relation, sources: [source] });
  else if (!existing.sources.includes(source)) existing.sources.push(source);
}

/** The bases of a model from its tags, falling back to its card only when it has no `base_model:` tag at all. */
function basesOf(id: string, tags: readonly string[], cardData: Record<string, unknown> | undefined, library: string | null): HubBase[] {
  const bases: HubBase[] = [];
  const self = id.toLowerCase();
  const { typed, untyped } = baseModelTags(tags);
  for (const base of typed) if (base.id.toLowerCase() !== self) addBase(bases, base.id, base.relation, 'tags');
  // A plain `base_model:<id>` tag without its typed twin (older Hub data): the relation is inferred.
  const untypedOnly = untyped.filter((base) => !typed.some((item) => item.id.toLowerCase() === base.toLowerCase()));
  for (const base of untypedOnly) {
    if (base.toLowerCase() !== self) addBase(bases, base, inferRelation(cardData, tags, library, untyped.length), 'tags');
  }
  if (typed.length === 0 && untyped.length === 0) {
    const fromCard = cardBases(cardData).filter((base) => base.toLowerCase() !== self);
    const relation = inferRelation(cardData, tags, library, fromCard.length);
    for (const base of fromCard) addBase(bases, base, relation, 'card');
  }
  return bases;
}

function licenseOf(cardData: Record<string, unknown> | undefined, tags: readonly string[]): string | null {
  const fromCard = cardData?.license;
  const value = Array.isArray(fromCard) ? fromCard[0] : fromCard;
  if (typeof value === 'string' && value.trim() !== '') return value.trim().toLowerCase();
  const tag = tags.find((item) => item.startsWith('license:'));
  return tag ? tag.slice('license:'.length).toLowerCase() || null : null;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** One model info in the Hub API's shape → HubModel. Throws HubFormatError when it has no valid id. */
export function parseHubModelInfo(info: unknown): HubModel {
  const item = record(info);
  const id = item?.id ?? item?.modelId;
  if (!isHubId(id)) throw new HubFormatError(`a model info without a valid "id" (got ${JSON.stringify(id)?.slice(0, 80)})`);
  const tags = stringList(item!.tags);
  const cardData = record(item!.cardData);
  const libraryName = text(item!.library_name) ?? text(cardData?.library_name);
  return {
    id,
    author: text(item!.author) ?? namespaceOf(id),
    downloads: count(item!.downloads),
    likes: count(item!.likes),
    createdAt: instant(item!.createdAt ?? item!.created_at),
    lastModified: instant(item!.lastModified ?? item!.last_modified),
    license: licenseOf(cardData, tags),
    pipelineTag: text(item!.pipeline_tag),
    libraryName,
    gated: gatedValue(item!.gated),
    tags,
    bases: basesOf(id, tags, cardData, libraryName),
    parameters: count(record(item!.safetensors)?.total),
    known: true,
  };
}

/** A model known by its id only. */
export function stubModel(id: string): HubModel {
  return {
    id,
    author: namespaceOf(id),
    downloads: null,
    likes: null,
    createdAt: null,
    lastModified: null,
    license: null,
    pipelineTag: null,
    libraryName: null,
    gated: null,
    tags: [],
    bases: [],
    parameters: null,
    known: false,
  };
}

/**
 * Two readings of the same model (ids equal case-insensitively) → one: a known reading's facts win
 * over a stub's, a later known reading's facts over an earlier one's (a fact it leaves out keeps
 * the earlier value); bases and their sources are united.
 */
export function mergeHubModels(into: HubModel, from: HubModel): HubModel {
  const facts = from.known || !into.known ? from : into;
  const other = facts === from ? into : from;
  const merged: HubModel = {
    id: facts.known ? facts.id : into.id,
    author: facts.author ?? other.author,
    downloads: facts.downloads ?? other.downloads,
    likes: facts.likes ?? other.likes,
    createdAt: facts.createdAt ?? other.createdAt,
    lastModified: facts.lastModified ?? other.lastModified,
    license: facts.license ?? other.license,
    pipelineTag: facts.pipelineTag ?? other.pipelineTag,
    libraryName: facts.libraryName ?? other.libraryName,
    gated: facts.gated ?? other.gated,
    tags: facts.tags.length > 0 ? facts.tags : other.tags,
    bases: into.bases.map((base) => ({ ...base, sources: [...base.sources] })),
    parameters: facts.parameters ?? other.parameters,
    known: into.known || from.known,
  };
  for (const base of from.bases) for (const source of base.sources) addBase(merged.bases, base.id, base.relation, source);
  return merged;
}

/** Collects models by lower-case id, merging repeats (a page overlap, a model in two sample trees). */
export class HubModelSet {
  private readonly byKey = new Map<string, HubModel>();

  add(model: HubModel): void {
    const key = model.id.toLowerCase();
    const existing = this.byKey.get(key);
    this.byKey.set(key, existing ? mergeHubModels(existing, model) : model);
  }

  get(id: string): HubModel | undefined {
    return this.byKey.get(id.toLowerCase());
  }

  get size(): number {
    return this.byKey.size;
  }

  models(): HubModel[] {
    return [...this.byKey.values()];
  }
}

const CHILD_LISTS: ReadonlyArray<readonly [string, LineageRelation]> = [
  ['children_finetunes', 'finetune'],
  ['children_adapters', 'adapter'],
  ['children_quantized', 'quantized'],
  ['children_merges', 'merge'],
];

function sampleCardData(row: Record<string, unknown>): Record<string, unknown> | undefined {
  const yaml = row.cardData_yaml;
  if (typeof yaml !== 'string' || yaml.trim() === '') return record(row.cardData);
  try {
    return record(parseYaml(yaml, { maxAliasCount: 16 }));
  } catch {
    return undefined; // a card whose YAML does not parse gives no card facts (the tags still do)
  }
}

/** One row of the sample format → HubModel (its own facts and tags; its children are added by the caller). */
function sampleRow(row: Record<string, unknown>): HubModel {
  const id = row.id as string;
  if (row.metadata_missing === true) return stubModel(id);
  const tags = stringList(row.tags);
  // The scraper's parsed relations are the same `base_model:<relation>:<id>` tags; add them in case a row lost its tags.
  for (const relation of Array.isArray(row.base_model_relations_from_tags) ? row.base_model_relations_from_tags : []) {
    const item = record(relation);
    if (item && isRelation(item.relation) && isHubId(item.base)) {
      const tag = `base_model:${item.relation}:${item.base}`;
      if (!tags.includes(tag)) tags.push(tag);
    }
  }
  return parseHubModelInfo({ ...row, id, tags, cardData: sampleCardData(row) });
}

/** The model-tree sample format → models, each parent's `children_*` lists turned into the children's bases. */
export function readLineageSample(document: unknown): HubModel[] {
  const trees = record(document)?.trees;
  if (!Array.isArray(trees)) throw new HubFormatError('not the model-tree sample format: no "trees" array');
  const set = new HubModelSet();
  const lists: Array<{ parent: string; child: string; relation: LineageRelation }> = [];
  trees.forEach((tree, treeIndex) => {
    const models = record(tree)?.models;
    if (!Array.isArray(models)) throw new HubFormatError(`trees[${treeIndex}] has no "models" array`);
    models.forEach((value, index) => {
      const row = record(value);
      if (!row || !isHubId(row.id)) throw new HubFormatError(`trees[${treeIndex}].models[${index}] has no valid "id"`);
      set.add(sampleRow(row));
      for (const [field, relation] of CHILD_LISTS) {
        for (const child of stringList(row[field])) {
          if (isHubId(child) && child.toLowerCase() !== row.id.toLowerCase()) lists.push({ parent: row.id, child, relation });
        }
      }
    });
  });
  for (const { parent, child, relation } of lists) {
    const model = stubModel(child);
    model.bases.push({ id: set.get(parent)?.id ?? parent, relation, sources: ['parent'] });
    set.add(model);
  }
  return set.models();
}

/**
 * Parsed JSON in any of the accepted shapes → models: an array of Hub model infos, one model info,
 * or the model-tree sample format. Infos without a valid id are skipped and counted.
 */
export function hubModelsFromJson(document: unknown): { models: HubModel[]; skipped: number } {
  if (Array.isArray(document)) {
    const set = new HubModelSet();
    let skipped = 0;
    for (const info of document) {
      try {
        set.add(parseHubModelInfo(info));
      } catch (error) {
        if (!(error instanceof HubFormatError)) throw error;
        skipped++;
      }
    }
    return { models: set.models(), skipped };
  }
  const item = record(document);
  if (item && Array.isArray(item.trees)) return { models: readLineageSample(item), skipped: 0 };
  if (item && (item.id !== undefined || item.modelId !== undefined)) return { models: [parseHubModelInfo(item)], skipped: 0 };
  throw new HubFormatError(
    'expected a JSON array of Hub model infos, one model info (with "id"), or the model-tree sample format ("trees")',
  );
}

export interface HubReadResult {
  models: HubModel[];
  /** Infos skipped for a missing or invalid id. */
  skipped: number;
  /** Pages fetched (1 for a file). */
  pages: number;
}

export interface HubProgress {
  pages: number;
  models: number;
  /** The page just read (never carries the token). */
  url: string;
}

export interface HubFetchOptions {
  /** Bearer token for the Hub (default: env HF_TOKEN). Sent only to `endpoint`'s origin. */
  token?: string | undefined;
  /** The Hub's base URL (default: env HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string | undefined;
  /** Called after every page (the CLI prints it on stderr). */
  onProgress?: (progress: HubProgress) => void;
  /** Pages to follow at most (default 100,000: 100 million models at the Hub's page size of 1,000). */
  maxPages?: number;
  /** Bytes per page at most (default 64 MiB). */
  maxPageBytes?: number;
  /** Per-request deadline in ms (default 60 s). */
  timeoutMs?: number;
  /** First back-off before retrying a 429 or 5xx without Retry-After, doubled each time (default 500 ms). */
  retryBaseMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** The `rel="next"` target of a Link header (RFC 8288), resolved against `base`. */
export function nextLink(header: string | null | undefined, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2]!);
    if (rel && rel[1]!.split(/\s+/).includes('next')) {
      try {
        return new URL(match[1]!, base).toString();
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

async function readCapped(response: Awaited<ReturnType<typeof fetch>>, limit: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new Error(`${url}: the page is ${declared} bytes, more than the limit of ${limit}`);
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`${url}: the page is more than ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** URL without its query string's secrets (none expected) and without user info, for messages. */
function shown(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Fetches model infos from `url` — a list (`/api/models?filter=base_model:…`, every `rel="next"`
 * page followed) or one model (`/api/models/{id}`), or any URL serving an accepted JSON shape.
 * 429 and 5xx are retried twice (honouring Retry-After up to 30 s); other failures throw with the
 * status and the URL (never the token).
 */
export async function fetchHubModels(url: string, options: HubFetchOptions = {}): Promise<HubReadResult> {
  const env = options.env ?? process.env;
  const token = options.token ?? env.HF_TOKEN;
  const hubOrigin = new URL(options.endpoint ?? env.HF_ENDPOINT ?? 'https://huggingface.co').origin;
  const first = new URL(url);
  if (first.protocol !== 'https:' && first.protocol !== 'http:') throw new Error(`unsupported URL scheme ${first.protocol}`);
  const maxPages = options.maxPages ?? 100_000;
  const maxBytes = options.maxPageBytes ?? 64 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const set = new HubModelSet();
  const visited = new Set<string>();
  let redirects = 0;
  let skipped = 0;
  let pages = 0;
  let next: string | undefined = first.toString();
  while (next !== undefined) {
    if (pages >= maxPages) throw new Error(`stopped after ${maxPages} pages (raise maxPages to read more)`);
    if (visited.has(next)) throw new Error(`${shown(next)}: the pages link back to one already read`);
    visited.add(next);
    const target: URL = new URL(next);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'agora-lineage/0.1' };
    if (token && target.origin === hubOrigin) headers.authorization = `Bearer ${token}`;
    let response: Awaited<ReturnType<typeof fetch>> | undefined;
    for (let attempt = 0; ; attempt++) {
      response = await fetch(target, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
        const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
        throw new Error(`could not fetch ${shown(target.toString())}: ${cause}`);
      });
      if (!RETRY_STATUSES.has(response.status) || attempt >= 2) break;
      await response.body?.cancel();
      const after = Number(response.headers.get('retry-after'));
      const waitMs = Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, 30_000) : (options.retryBaseMs ?? 500) * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    if (response.status >= 300 && response.status < 400) {
      // Followed by hand, so a redirect to another origin never carries the token.
      const location = response.headers.get('location');
      await response.body?.cancel();
      if (!location) throw new Error(`${shown(next)}: ${response.status} without a Location`);
      const moved: string = new URL(location, target).toString();
      if (new URL(moved).origin !== first.origin)
        throw new Error(`${shown(next)}: redirected to another origin (${new URL(moved).origin})`);
      if (++redirects > 10) throw new Error(`${shown(next)}: more than 10 redirects`);
      visited.delete(next);
      next = moved;
      continue;
    }
    if (response.status !== 200) {
      const body = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
      throw new Error(`${shown(next)}: HTTP ${response.status}${body ? ` (${body})` : ''}`);
    }
    const page = await readCapped(response, maxBytes, shown(next));
    let document: unknown;
    try {
      document = JSON.parse(page);
    } catch {
      throw new HubFormatError(`${shown(next)}: the answer is not JSON`);
    }
    const read = hubModelsFromJson(document);
    for (const model of read.models) set.add(model);
    skipped += read.skipped;
    pages++;
    redirects = 0;
    options.onProgress?.({ pages, models: set.size, url: shown(next) });
    const link: string | undefined = Array.isArray(document) ? nextLink(response.headers.get('link'), next) : undefined;
    if (link !== undefined && new URL(link).origin !== first.origin) {
      throw new Error(`${shown(next)}: the next page is on another origin (${new URL(link).origin}); not followed`);
    }
    next = link;
  }
  return { models: set.models(), skipped, pages };
}

/** Reads a file holding any accepted JSON shape. */
export async function readHubModelsFile(path: string): Promise<HubReadResult> {
  let textValue: string;
  try {
    textValue = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(textValue);
  } catch (error) {
    throw new HubFormatError(`${path}: not JSON (${(error as Error).message})`);
  }
  try {
    const { models, skipped } = hubModelsFromJson(document);
    return { models, skipped, pages: 1 };
  } catch (error) {
    if (error instanceof HubFormatError) throw new HubFormatError(`${path}: ${error.message}`);
    throw error;
  }
}

/** A file path or an http(s) URL. */
export function readHubModels(source: string, options: HubFetchOptions = {}): Promise<HubReadResult> {
  return /^https?:\/\//i.test(source) ? fetchHubModels(source, options) : readHubModelsFile(source);
}
