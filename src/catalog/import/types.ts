/**
 * What every importer of `agora models sync` returns: a catalog document in the config file's
 * shape (authors, providers, models with endpoints), and a report of what it could not use and why.
 * An importer never guesses: an entry it cannot place is listed in `unmatched`, not stored.
 */
import type { RawCatalog } from '../../config/load.js';
import type { ResolvedConfig } from '../../config/types.js';
import type { CatalogSource } from '../synced.js';

export interface Unmatched {
  /** The source's own name for the entry (`together_ai/…`, a Hub id). */
  name: string;
  reason: string;
}

export interface ImportResult {
  source: CatalogSource;
  document: RawCatalog;
  unmatched: Unmatched[];
  /** Other things the report should say (fields the catalog cannot hold, prices that are not fixed). */
  notes: string[];
}

export interface ImportContext {
  /** The catalog as resolved before this import (bundled, synced so far, config file): what joins match against. */
  catalog: ResolvedConfig;
  /** Progress for long imports (stderr in the CLI). */
  onProgress?: (message: string) => void;
}
