/**
 * Hugging Face Hub model infos (`GET /api/models/{id}`, read by hf-hub.ts) → facts for the catalog's
 * models: a catalog model whose `hugging_face_id` is the info's id (compared as the Hub compares
 * ids, case-insensitively) gets the Hub's license, parameter count, release date, open weights and
 * input modalities. Models with no catalog entry are reported, never added: the Hub says what a
 * model is, not who sells it. Lineage (`base_model`) is imported by `agora lineage import`.
 *
 * What each fact is read from, and nothing else:
 *  - license: the card's `license` (or `license:` tag), when it is not `other`;
 *  - parameters.total: `safetensors.total`, the count the Hub computed from the weights;
 *  - open_weights: true when the Hub counted the weights (they are published, gated or not);
 *  - release_date: the repository's creation date (`createdAt`);
 *  - input_modalities: from the pipeline tag where it says (`image-text-to-text` → text and image).
 */
import type { RawCatalog } from '../../config/load.js';
import type { HubModel } from './hf-hub.js';
import type { ImportContext, ImportResult, Unmatched } from './types.js';

const INPUTS_BY_PIPELINE: Record<string, string[]> = {
  'text-generation': ['text'],
  'text2text-generation': ['text'],
  'image-text-to-text': ['text', 'image'],
  'audio-text-to-text': ['text', 'audio'],
  'video-text-to-text': ['text', 'video'],
  'any-to-any': ['text', 'image', 'audio'],
  'feature-extraction': ['text'],
  'sentence-similarity': ['text'],
};

export function importHuggingFace(hub: readonly HubModel[], context: ImportContext): ImportResult {
  const byHubId = new Map<string, string[]>();
  for (const model of context.catalog.models.values()) {
    if (!model.huggingFaceId) continue;
    const key = model.huggingFaceId.toLowerCase();
    byHubId.set(key, [...(byHubId.get(key) ?? []), model.id]);
  }
  const models: NonNullable<RawCatalog['models']> = {};
  const unmatched: Unmatched[] = [];
  let withoutFacts = 0;
  for (const info of hub) {
    const ids = byHubId.get(info.id.toLowerCase());
    if (!ids) {
      unmatched.push({ name: info.id, reason: 'no catalog model has this hugging_face_id' });
      continue;
    }
    if (!info.known) {
      withoutFacts++;
      continue;
    }
    const facts: Record<string, unknown> = {};
    if (info.license && info.license !== 'other') facts.license = info.license;
    if (info.parameters !== null && info.parameters > 0) {
      facts.parameters = { total: info.parameters };
      facts.open_weights = true;
    }
    const created = info.createdAt ? /^\d{4}-\d{2}-\d{2}/.exec(info.createdAt)?.[0] : undefined;
    if (created) facts.release_date = created;
    const inputs = info.pipelineTag ? INPUTS_BY_PIPELINE[info.pipelineTag] : undefined;
    if (inputs) facts.input_modalities = inputs;
    if (Object.keys(facts).length === 0) {
      withoutFacts++;
      continue;
    }
    for (const id of ids) models[id] = { ...facts, ...(facts.parameters ? { parameters: { ...(facts.parameters as object) } } : {}) };
  }
  const notes = withoutFacts > 0 ? [`${withoutFacts} matching infos carried none of the facts the catalog takes`] : [];
  context.onProgress?.(`hf: ${Object.keys(models).length} catalog models get facts from ${hub.length} Hub infos`);
  return { source: 'hf', document: { models }, unmatched, notes };
}
