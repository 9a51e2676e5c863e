/**
 * The narrow view of the store that admin and record routes use (never the model-call path).
 * Implemented in main.ts over the store's repositories, so api/ never imports store/repos.
 */
import type { GenerationRow } from '../store/repos/generations.js';
import type { ApiKeyRow, NewKey } from '../store/repos/keys.js';

export interface AdminStore {
  findGeneration(id: string): Promise<GenerationRow | undefined>;
  listKeys(): Promise<ApiKeyRow[]>;
  createKey(input: NewKey): Promise<{ row: ApiKeyRow; key: string }>;
  disableKey(id: string): Promise<boolean>;
}
