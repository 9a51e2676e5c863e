/**
 * Reads an import's input, a FILE or a URL, as JSON; and tells which format it is when the caller
 * did not say. URLs are fetched with a deadline, and an optional bearer token (never logged).
 */
import { readFile } from 'node:fs/promises';
import type { CatalogSource } from '../synced.js';

export const FETCH_TIMEOUT_MS = 60_000;

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** The JSON at `location` (a path or an http(s) URL). Errors name the location and what went wrong. */
export async function readJson(location: string, options: { token?: string | undefined; timeoutMs?: number } = {}): Promise<unknown> {
  let text: string;
  if (isUrl(location)) {
    const response = await fetch(location, {
      headers: { accept: 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      signal: AbortSignal.timeout(options.timeoutMs ?? FETCH_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new Error(`could not fetch ${location}: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (!response.ok) throw new Error(`could not fetch ${location}: HTTP ${response.status}`);
    text = await response.text();
  } else {
    text = await readFile(location, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(error.code === 'ENOENT' ? `no such file: ${location}` : `cannot read ${location} (${error.code ?? 'error'})`);
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${location} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The format of a parsed input: OpenRouter's `{data: [{id, pricing}]}`, LiteLLM's map (entries with
 * `litellm_provider`), or Hugging Face model infos (objects with `id`/`modelId` and `tags`, one or a
 * list, or the lineage sample's `{trees}`). Undefined when none fits.
 */
export function detectFormat(json: unknown): CatalogSource | undefined {
  if (isObject(json) && Array.isArray(json.data) && json.data.some((item) => isObject(item) && 'pricing' in item && 'id' in item)) {
    return 'openrouter';
  }
  if (isObject(json) && Object.values(json).some((entry) => isObject(entry) && typeof entry.litellm_provider === 'string')) {
    return 'litellm';
  }
  const hubInfo = (item: unknown): boolean =>
    isObject(item) && (typeof item.modelId === 'string' || typeof item.id === 'string') && Array.isArray(item.tags);
  if (Array.isArray(json) ? json.some(hubInfo) : hubInfo(json) || (isObject(json) && Array.isArray(json.trees))) return 'hf';
  return undefined;
}
