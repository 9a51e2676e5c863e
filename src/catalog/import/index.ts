/** The importers of `agora models sync`, by source format. */
import type { CatalogSource } from '../synced.js';
import { importLiteLLM } from './litellm.js';
import { importOpenRouter } from './openrouter.js';
import type { ImportContext, ImportResult } from './types.js';

export type Importer = (json: unknown, context: ImportContext) => ImportResult | Promise<ImportResult>;

export const IMPORTERS: Partial<Record<CatalogSource, Importer>> = {
  openrouter: (json) => importOpenRouter(json),
  litellm: (json, context) => importLiteLLM(json, context),
};
