/**
 * The bundled catalog as validated, cached by `npm run build` (scripts/fast-start.mjs writes
 * dist/config/bundled-catalog.json): a start on the bundled catalog alone — no synced catalog —
 * reads it instead of validating the whole catalog again (~40 ms of every start). The cache names
 * the catalog and the schema it was made from; when either differs (a build that skipped the
 * script, a source run) it is not used and the catalog is validated as before.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BUNDLED_CATALOG } from './defaults.js';
import type { CatalogDocument } from './schema.js';

// '../config/': right from dist/config/ and from the one-file build's dist/app/ (scripts/fast-start.mjs) alike
const CACHE = new URL('../config/bundled-catalog.json', import.meta.url);
const SCHEMA = new URL('../config/schema.js', import.meta.url);

/** What a cache must have been made from: the bundled catalog and the compiled schema's text. */
export function bundledFingerprint(): string {
  let schema = '';
  try {
    schema = readFileSync(SCHEMA, 'utf8');
  } catch {
    // running from the sources: there is no cache to match either
  }
  return createHash('sha256').update(JSON.stringify(BUNDLED_CATALOG)).update('\0').update(schema).digest('hex');
}

/** The cache's text for the validated bundled catalog. */
export function bundledCacheText(validated: CatalogDocument): string {
  return JSON.stringify({ fingerprint: bundledFingerprint(), document: validated });
}

/** The validated bundled catalog from the build's cache, or undefined when there is none or it is not this build's. */
export function cachedBundledCatalog(): CatalogDocument | undefined {
  let text: string;
  try {
    text = readFileSync(CACHE, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const cached = JSON.parse(text) as { fingerprint?: unknown; document?: CatalogDocument };
    return cached.fingerprint === bundledFingerprint() ? cached.document : undefined;
  } catch {
    return undefined;
  }
}
