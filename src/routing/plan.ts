/**
 * Planning: the requested model ids (model, then the `models` fallback list) → an ordered list of
 * attempts, one per usable endpoint. Pure and synchronous: it reads only the in-memory catalog.
 */
import type { CatalogEndpoint, CatalogSnapshot } from '../catalog/snapshot.js';
import { closeMatches } from '../lib/close-matches.js';
import { AgoraError, invalidRequest, notFound } from '../spec/errors.js';
import type { ProviderAdapter } from '../spec/provider-adapter.js';

export interface Attempt {
  /** The model id the client asked for (without variant). */
  modelId: string;
  endpoint: CatalogEndpoint;
  adapter: ProviderAdapter;
}

/** Most endpoints tried for one request (Envoy's default retry cap + 1). */
export const MAX_ATTEMPTS = 3;

export function planAttempts(modelIds: string[], catalog: CatalogSnapshot, kind: 'chat' | 'embedding'): Attempt[] {
  const attempts: Attempt[] = [];
  const unavailable: string[] = [];
  let known = 0;
  for (const modelId of modelIds) {
    const entry = catalog.get(modelId);
    if (!entry) continue;
    known++;
    if (entry.model.kind !== kind) {
      throw invalidRequest(
        `The model '${modelId}' is ${entry.model.kind === 'embedding' ? 'an embedding model' : 'a chat model'}; use ${entry.model.kind === 'embedding' ? '/v1/embeddings' : '/v1/chat/completions'}.`,
        'model', 'wrong_endpoint',
      );
    }
    if (entry.available.length === 0) {
      for (const endpoint of entry.endpoints) unavailable.push(`${endpoint.provider.id} (${endpoint.provider.disabledReason ?? 'disabled'})`);
    }
    for (const endpoint of entry.available) attempts.push({ modelId, endpoint, adapter: endpoint.adapter! });
  }
  if (known === 0) {
    const wanted = modelIds[0]!;
    const suggestions = closeMatches(wanted, catalog.models.keys());
    throw notFound(
      `The model '${wanted}' does not exist.${suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : ''}`,
      'model_not_found',
      { requested_models: modelIds, close_matches: suggestions },
    );
  }
  if (attempts.length === 0) {
    throw new AgoraError(
      `No provider is available for '${modelIds.join("', '")}': ${[...new Set(unavailable)].join('; ')}.`,
      { status: 503, kind: 'provider_unavailable', type: 'upstream_error', code: 'no_available_provider', retryable: false },
    );
  }
  return attempts;
}
