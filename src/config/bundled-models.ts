/**
 * Curated facts of the bundled catalog: the authors, and the open-weight models of the major authors
 * that third-party hosts sell (their endpoints are generated from LiteLLM's price map, see
 * bundled-endpoints.json and scripts/build-catalog.mjs; the authors' own APIs are in defaults.ts).
 *
 * Sources. Ids and Hugging Face ids follow OpenRouter's model list (`author/slug`) and the authors'
 * Hugging Face repositories; where Hugging Face renamed a repository (Meta's `Meta-Llama-3.1-*` became
 * `Llama-3.1-*`), the current name is the id and the old one an alias. Licenses are the license field
 * of the model's Hugging Face card (`mit`, `apache-2.0`, `llama3.1`, `llama3.3`, `llama4`, `gemma`,
 * `qwen`, `modified-mit`). Parameter counts are the authors' published totals and, for a mixture of
 * experts, the parameters active per token; for dense models the size in the model's name (70B → 70e9).
 * Release dates are the authors' announcement days, given only where certain (the date suffix in
 * `R1-0528` or `V3-0324` is one). `aliases` are names hosts in LiteLLM's map sell the model under that
 * the join rule does not reach by itself (Groq's `llama-3.3-70b-versatile`, SambaNova's
 * `Meta-Llama-3.3-70B-Instruct`, Lambda's `deepseek-r1-671b`, Moonshot's `kimi-k2-0711-preview`…).
 * A fact that was not certain is left out, not guessed.
 */
import type { CatalogDocumentInput } from './schema.js';

type Models = NonNullable<CatalogDocumentInput['models']>;

export const AUTHORS = {
  deepseek: { name: 'DeepSeek', country: 'CN', homepage: 'https://www.deepseek.com' },
  qwen: { name: 'Qwen', country: 'CN' },
  moonshotai: { name: 'MoonshotAI', country: 'CN' },
  minimax: { name: 'MiniMax', country: 'CN' },
  'z-ai': { name: 'Z.ai', country: 'CN', homepage: 'https://z.ai' },
  tencent: { name: 'Tencent', country: 'CN' },
  baidu: { name: 'Baidu', country: 'CN' },
  'meta-llama': { name: 'Meta', country: 'US', homepage: 'https://www.llama.com' },
  mistralai: { name: 'Mistral', country: 'FR', homepage: 'https://mistral.ai' },
  google: { name: 'Google', country: 'US' },
  openai: { name: 'OpenAI', country: 'US', homepage: 'https://openai.com' },
  nvidia: { name: 'NVIDIA', country: 'US', homepage: 'https://www.nvidia.com' },
  microsoft: { name: 'Microsoft', country: 'US', homepage: 'https://www.microsoft.com' },
  anthropic: { name: 'Anthropic', country: 'US', homepage: 'https://www.anthropic.com' },
  'nomic-ai': { name: 'Nomic AI', country: 'US' },
} satisfies CatalogDocumentInput['authors'];

type Modality = NonNullable<Models[string]['input_modalities']>[number];
const TEXT_IMAGE: { input_modalities: Modality[]; output_modalities: Modality[] } = {
  input_modalities: ['text', 'image'],
  output_modalities: ['text'],
};

/** The open-weight models whose endpoints are generated (models also served by their authors' APIs are in defaults.ts). */
export const OPEN_MODELS = {
  // DeepSeek (Hugging Face: deepseek-ai). V3.x and R1 are 671B total, 37B active per token.
  'deepseek/deepseek-chat-v3-0324': {
    name: 'DeepSeek: DeepSeek V3 0324',
    hugging_face_id: 'deepseek-ai/DeepSeek-V3-0324',
    open_weights: true,
    license: 'mit',
    parameters: { total: 671e9, active: 37e9 },
    release_date: '2025-03-24',
  },
  'deepseek/deepseek-chat-v3.1': {
    name: 'DeepSeek: DeepSeek V3.1',
    hugging_face_id: 'deepseek-ai/DeepSeek-V3.1',
    open_weights: true,
    license: 'mit',
    parameters: { total: 671e9, active: 37e9 },
    release_date: '2025-08-21',
  },
  'deepseek/deepseek-v3.1-terminus': {
    name: 'DeepSeek: DeepSeek V3.1 Terminus',
    hugging_face_id: 'deepseek-ai/DeepSeek-V3.1-Terminus',
    open_weights: true,
    license: 'mit',
    parameters: { total: 671e9, active: 37e9 },
    release_date: '2025-09-22',
  },
  'deepseek/deepseek-v3.2-exp': {
    name: 'DeepSeek: DeepSeek V3.2 Exp',
    hugging_face_id: 'deepseek-ai/DeepSeek-V3.2-Exp',
    open_weights: true,
    license: 'mit',
    release_date: '2025-09-29',
  },
  'deepseek/deepseek-v3.2': {
    name: 'DeepSeek: DeepSeek V3.2',
    hugging_face_id: 'deepseek-ai/DeepSeek-V3.2',
    open_weights: true,
    license: 'mit',
    release_date: '2025-12-01',
  },
  'deepseek/deepseek-r1-0528': {
    name: 'DeepSeek: R1 0528',
    hugging_face_id: 'deepseek-ai/DeepSeek-R1-0528',
    open_weights: true,
    license: 'mit',
    parameters: { total: 671e9, active: 37e9 },
    release_date: '2025-05-28',
  },
  'deepseek/deepseek-r1-distill-llama-70b': {
    name: 'DeepSeek: R1 Distill Llama 70B',
    hugging_face_id: 'deepseek-ai/DeepSeek-R1-Distill-Llama-70B',
    open_weights: true,
    license: 'mit',
    parameters: { total: 70e9 },
    release_date: '2025-01-20',
  },
  'deepseek/deepseek-r1-distill-qwen-32b': {
    name: 'DeepSeek: R1 Distill Qwen 32B',
    hugging_face_id: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-32B',
    open_weights: true,
    license: 'mit',
    parameters: { total: 32e9 },
    release_date: '2025-01-20',
  },

  // Qwen (Alibaba Cloud; Hugging Face: Qwen). Qwen3 is Apache 2.0; Qwen2.5 72B models use the Qwen license.
  'qwen/qwen3-235b-a22b': {
    name: 'Qwen: Qwen3 235B A22B',
    hugging_face_id: 'Qwen/Qwen3-235B-A22B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 235e9, active: 22e9 },
  },
  'qwen/qwen3-235b-a22b-2507': {
    name: 'Qwen: Qwen3 235B A22B Instruct 2507',
    hugging_face_id: 'Qwen/Qwen3-235B-A22B-Instruct-2507',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 235e9, active: 22e9 },
  },
  'qwen/qwen3-235b-a22b-thinking-2507': {
    name: 'Qwen: Qwen3 235B A22B Thinking 2507',
    hugging_face_id: 'Qwen/Qwen3-235B-A22B-Thinking-2507',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 235e9, active: 22e9 },
  },
  'qwen/qwen3-30b-a3b': {
    name: 'Qwen: Qwen3 30B A3B',
    hugging_face_id: 'Qwen/Qwen3-30B-A3B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 30e9, active: 3e9 },
  },
  'qwen/qwen3-30b-a3b-instruct-2507': {
    name: 'Qwen: Qwen3 30B A3B Instruct 2507',
    hugging_face_id: 'Qwen/Qwen3-30B-A3B-Instruct-2507',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 30e9, active: 3e9 },
  },
  'qwen/qwen3-30b-a3b-thinking-2507': {
    name: 'Qwen: Qwen3 30B A3B Thinking 2507',
    hugging_face_id: 'Qwen/Qwen3-30B-A3B-Thinking-2507',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 30e9, active: 3e9 },
  },
  'qwen/qwen3-14b': {
    name: 'Qwen: Qwen3 14B',
    hugging_face_id: 'Qwen/Qwen3-14B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 14e9 },
  },
  'qwen/qwen3-8b': {
    name: 'Qwen: Qwen3 8B',
    hugging_face_id: 'Qwen/Qwen3-8B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 8e9 },
  },
  'qwen/qwen3-4b': {
    name: 'Qwen: Qwen3 4B',
    hugging_face_id: 'Qwen/Qwen3-4B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 4e9 },
  },
  'qwen/qwen3-coder': {
    name: 'Qwen: Qwen3 Coder 480B A35B',
    hugging_face_id: 'Qwen/Qwen3-Coder-480B-A35B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 480e9, active: 35e9 },
  },
  'qwen/qwen3-coder-30b-a3b-instruct': {
    name: 'Qwen: Qwen3 Coder 30B A3B Instruct',
    hugging_face_id: 'Qwen/Qwen3-Coder-30B-A3B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 30e9, active: 3e9 },
  },
  'qwen/qwen3-next-80b-a3b-instruct': {
    name: 'Qwen: Qwen3 Next 80B A3B Instruct',
    hugging_face_id: 'Qwen/Qwen3-Next-80B-A3B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 80e9, active: 3e9 },
  },
  'qwen/qwen3-next-80b-a3b-thinking': {
    name: 'Qwen: Qwen3 Next 80B A3B Thinking',
    hugging_face_id: 'Qwen/Qwen3-Next-80B-A3B-Thinking',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 80e9, active: 3e9 },
  },
  'qwen/qwen3-vl-235b-a22b-instruct': {
    name: 'Qwen: Qwen3 VL 235B A22B Instruct',
    hugging_face_id: 'Qwen/Qwen3-VL-235B-A22B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 235e9, active: 22e9 },
    ...TEXT_IMAGE,
  },
  'qwen/qwen3-vl-235b-a22b-thinking': {
    name: 'Qwen: Qwen3 VL 235B A22B Thinking',
    hugging_face_id: 'Qwen/Qwen3-VL-235B-A22B-Thinking',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 235e9, active: 22e9 },
    ...TEXT_IMAGE,
  },
  'qwen/qwq-32b': {
    name: 'Qwen: QwQ 32B',
    hugging_face_id: 'Qwen/QwQ-32B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 32e9 },
  },
  'qwen/qwen-2.5-72b-instruct': {
    name: 'Qwen: Qwen2.5 72B Instruct',
    hugging_face_id: 'Qwen/Qwen2.5-72B-Instruct',
    open_weights: true,
    license: 'qwen',
    parameters: { total: 72e9 },
    release_date: '2024-09-19',
  },
  'qwen/qwen-2.5-7b-instruct': {
    name: 'Qwen: Qwen2.5 7B Instruct',
    hugging_face_id: 'Qwen/Qwen2.5-7B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 7e9 },
    release_date: '2024-09-19',
  },
  'qwen/qwen-2.5-coder-32b-instruct': {
    name: 'Qwen: Qwen2.5 Coder 32B Instruct',
    hugging_face_id: 'Qwen/Qwen2.5-Coder-32B-Instruct',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 32e9 },
  },
  'qwen/qwen2.5-vl-72b-instruct': {
    name: 'Qwen: Qwen2.5 VL 72B Instruct',
    hugging_face_id: 'Qwen/Qwen2.5-VL-72B-Instruct',
    open_weights: true,
    license: 'qwen',
    parameters: { total: 72e9 },
    ...TEXT_IMAGE,
  },
  'qwen/qwen3-embedding-8b': {
    name: 'Qwen: Qwen3 Embedding 8B',
    kind: 'embedding',
    hugging_face_id: 'Qwen/Qwen3-Embedding-8B',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 8e9 },
  },

  // Moonshot AI. Kimi K2 is 1T total, 32B active per token, under a modified MIT license.
  'moonshotai/kimi-k2-0905': {
    name: 'MoonshotAI: Kimi K2 0905',
    hugging_face_id: 'moonshotai/Kimi-K2-Instruct-0905',
    open_weights: true,
    license: 'modified-mit',
    parameters: { total: 1e12, active: 32e9 },
    aliases: ['kimi-k2-0905-preview'],
  },

  // MiniMax (Hugging Face: MiniMaxAI). The catalog's M1 is the 80K-thinking-budget checkpoint hosts serve.
  'minimax/minimax-m1': {
    name: 'MiniMax: MiniMax M1',
    hugging_face_id: 'MiniMaxAI/MiniMax-M1-80k',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 456e9, active: 45.9e9 },
  },
  'minimax/minimax-m2.1': {
    name: 'MiniMax: MiniMax M2.1',
    hugging_face_id: 'MiniMaxAI/MiniMax-M2.1',
    open_weights: true,
  },
  'minimax/minimax-m2.5': {
    name: 'MiniMax: MiniMax M2.5',
    hugging_face_id: 'MiniMaxAI/MiniMax-M2.5',
    open_weights: true,
  },

  // Meta. Hugging Face renamed the Llama 3.1 repositories from Meta-Llama-3.1-* to Llama-3.1-*.
  'meta-llama/llama-3.1-8b-instruct': {
    name: 'Meta: Llama 3.1 8B Instruct',
    hugging_face_id: 'meta-llama/Llama-3.1-8B-Instruct',
    open_weights: true,
    license: 'llama3.1',
    parameters: { total: 8e9 },
    release_date: '2024-07-23',
    aliases: ['meta-llama/Meta-Llama-3.1-8B-Instruct', 'llama-3.1-8b-instant'],
  },
  'meta-llama/llama-3.1-70b-instruct': {
    name: 'Meta: Llama 3.1 70B Instruct',
    hugging_face_id: 'meta-llama/Llama-3.1-70B-Instruct',
    open_weights: true,
    license: 'llama3.1',
    parameters: { total: 70e9 },
    release_date: '2024-07-23',
    aliases: ['meta-llama/Meta-Llama-3.1-70B-Instruct'],
  },
  'meta-llama/llama-3.1-405b-instruct': {
    name: 'Meta: Llama 3.1 405B Instruct',
    hugging_face_id: 'meta-llama/Llama-3.1-405B-Instruct',
    open_weights: true,
    license: 'llama3.1',
    parameters: { total: 405e9 },
    release_date: '2024-07-23',
    aliases: ['meta-llama/Meta-Llama-3.1-405B-Instruct'],
  },
  'meta-llama/llama-3.2-3b-instruct': {
    name: 'Meta: Llama 3.2 3B Instruct',
    hugging_face_id: 'meta-llama/Llama-3.2-3B-Instruct',
    open_weights: true,
    license: 'llama3.2',
    parameters: { total: 3e9 },
    release_date: '2024-09-25',
  },
  'meta-llama/llama-3.2-11b-vision-instruct': {
    name: 'Meta: Llama 3.2 11B Vision Instruct',
    hugging_face_id: 'meta-llama/Llama-3.2-11B-Vision-Instruct',
    open_weights: true,
    license: 'llama3.2',
    parameters: { total: 11e9 },
    release_date: '2024-09-25',
    ...TEXT_IMAGE,
  },
  'meta-llama/llama-4-maverick': {
    name: 'Meta: Llama 4 Maverick',
    hugging_face_id: 'meta-llama/Llama-4-Maverick-17B-128E-Instruct',
    open_weights: true,
    license: 'llama4',
    parameters: { total: 400e9, active: 17e9 },
    release_date: '2025-04-05',
    ...TEXT_IMAGE,
  },
  'meta-llama/llama-4-scout': {
    name: 'Meta: Llama 4 Scout',
    hugging_face_id: 'meta-llama/Llama-4-Scout-17B-16E-Instruct',
    open_weights: true,
    license: 'llama4',
    parameters: { total: 109e9, active: 17e9 },
    release_date: '2025-04-05',
    ...TEXT_IMAGE,
  },

  // Mistral AI. `open-…` are the names of Mistral's own API for its open models.
  'mistralai/mistral-7b-instruct-v0.3': {
    name: 'Mistral: Mistral 7B Instruct v0.3',
    hugging_face_id: 'mistralai/Mistral-7B-Instruct-v0.3',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 7e9 },
  },
  'mistralai/mixtral-8x7b-instruct': {
    name: 'Mistral: Mixtral 8x7B Instruct',
    hugging_face_id: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 46.7e9, active: 12.9e9 },
    release_date: '2023-12-11',
    aliases: ['open-mixtral-8x7b'],
  },
  'mistralai/mixtral-8x22b-instruct': {
    name: 'Mistral: Mixtral 8x22B Instruct',
    hugging_face_id: 'mistralai/Mixtral-8x22B-Instruct-v0.1',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 141e9, active: 39e9 },
    release_date: '2024-04-17',
    aliases: ['open-mixtral-8x22b'],
  },
  'mistralai/mistral-nemo': {
    name: 'Mistral: Mistral Nemo',
    hugging_face_id: 'mistralai/Mistral-Nemo-Instruct-2407',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 12e9 },
    release_date: '2024-07-18',
    aliases: ['open-mistral-nemo'],
  },
  'mistralai/mistral-small-24b-instruct-2501': {
    name: 'Mistral: Mistral Small 3',
    hugging_face_id: 'mistralai/Mistral-Small-24B-Instruct-2501',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 24e9 },
    release_date: '2025-01-30',
  },
  'mistralai/mistral-small-3.1-24b-instruct': {
    name: 'Mistral: Mistral Small 3.1 24B',
    hugging_face_id: 'mistralai/Mistral-Small-3.1-24B-Instruct-2503',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 24e9 },
    release_date: '2025-03-17',
    ...TEXT_IMAGE,
  },
  'mistralai/mistral-small-3.2-24b-instruct': {
    name: 'Mistral: Mistral Small 3.2 24B',
    hugging_face_id: 'mistralai/Mistral-Small-3.2-24B-Instruct-2506',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 24e9 },
    ...TEXT_IMAGE,
  },

  // Google Gemma 3 (Gemma terms of use).
  'google/gemma-3-27b-it': {
    name: 'Google: Gemma 3 27B',
    hugging_face_id: 'google/gemma-3-27b-it',
    open_weights: true,
    license: 'gemma',
    parameters: { total: 27e9 },
    release_date: '2025-03-12',
    ...TEXT_IMAGE,
  },
  'google/gemma-3-12b-it': {
    name: 'Google: Gemma 3 12B',
    hugging_face_id: 'google/gemma-3-12b-it',
    open_weights: true,
    license: 'gemma',
    parameters: { total: 12e9 },
    release_date: '2025-03-12',
    ...TEXT_IMAGE,
  },
  'google/gemma-3-4b-it': {
    name: 'Google: Gemma 3 4B',
    hugging_face_id: 'google/gemma-3-4b-it',
    open_weights: true,
    license: 'gemma',
    parameters: { total: 4e9 },
    release_date: '2025-03-12',
    ...TEXT_IMAGE,
  },

  // OpenAI's open-weight models: 117B total / 5.1B active, and 21B / 3.6B.
  'openai/gpt-oss-120b': {
    name: 'OpenAI: gpt-oss-120b',
    hugging_face_id: 'openai/gpt-oss-120b',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 117e9, active: 5.1e9 },
    release_date: '2025-08-05',
  },
  'openai/gpt-oss-20b': {
    name: 'OpenAI: gpt-oss-20b',
    hugging_face_id: 'openai/gpt-oss-20b',
    open_weights: true,
    license: 'apache-2.0',
    parameters: { total: 21e9, active: 3.6e9 },
    release_date: '2025-08-05',
  },

  // NVIDIA. The Nemotron 70B weights are published twice (NeMo and Hugging Face formats).
  'nvidia/llama-3.1-nemotron-70b-instruct': {
    name: 'NVIDIA: Llama 3.1 Nemotron 70B Instruct',
    hugging_face_id: 'nvidia/Llama-3.1-Nemotron-70B-Instruct-HF',
    open_weights: true,
    license: 'llama3.1',
    parameters: { total: 70e9 },
    aliases: ['nvidia/Llama-3.1-Nemotron-70B-Instruct'],
  },
  'nvidia/llama-3.3-nemotron-super-49b-v1.5': {
    name: 'NVIDIA: Llama 3.3 Nemotron Super 49B v1.5',
    hugging_face_id: 'nvidia/Llama-3_3-Nemotron-Super-49B-v1_5',
    open_weights: true,
    parameters: { total: 49e9 },
  },
  'nvidia/nemotron-nano-9b-v2': {
    name: 'NVIDIA: Nemotron Nano 9B V2',
    hugging_face_id: 'nvidia/NVIDIA-Nemotron-Nano-9B-v2',
    open_weights: true,
    parameters: { total: 9e9 },
  },

  // Microsoft.
  'microsoft/phi-4': {
    name: 'Microsoft: Phi 4',
    hugging_face_id: 'microsoft/phi-4',
    open_weights: true,
    license: 'mit',
    parameters: { total: 14e9 },
  },
} satisfies Models;
