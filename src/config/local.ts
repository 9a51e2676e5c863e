/** `agora serve --local FILE.gguf`: registers the in-process llama.cpp provider `local` and the model `local/<name>`. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError } from './load.js';
import { DEFAULT_TIMEOUTS, type ResolvedConfig } from './types.js';

/** `agora serve --local FILE.gguf`: the model id `local/<name>` for a file. */
export function localModelId(file: string): string {
  const name = basename(file.startsWith('hf:') ? (file.split('/').pop() ?? file) : file)
    .replace(/\.gguf$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-');
  return `local/${name || 'model'}`;
}

export function addLocalModel(
  config: ResolvedConfig,
  file: string,
  options: { threads?: number; sequences?: number; contextSize?: number } = {},
): string {
  if (!file.startsWith('hf:') && !existsSync(file))
    throw new ConfigError('--local', '', `no such file: ${file} (expected a .gguf file or an hf: URI)`);
  const id = localModelId(file);
  config.providers.set('local', {
    id: 'local',
    type: 'local',
    name: 'llama.cpp (in-process)',
    baseUrl: `local://${file}`,
    apiKey: undefined,
    secrets: config.secrets,
    headers: {},
    jurisdiction: undefined,
    enabled: true,
    disabledReason: undefined,
    timeouts: DEFAULT_TIMEOUTS,
    maxConnections: 1,
    streamUsage: true,
    dataPolicy: { retentionDays: 0, trainsOnPrompts: false, zdr: true },
    supportedParameters: ['temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens', 'seed', 'stop'],
    reasoningParam: 'none',
    local: { model: file, threads: options.threads, sequences: options.sequences ?? 2, contextSize: options.contextSize, gpu: false },
  });
  config.models.set(id, {
    id,
    author: 'local',
    name: `${id.slice('local/'.length)} (local)`,
    description: `Served in-process by llama.cpp from ${file}`,
    contextLength: options.contextSize,
    huggingFaceId: undefined,
    created: undefined,
    kind: 'chat',
    authorName: 'Local',
    authorCountry: undefined,
    openWeights: true,
    license: undefined,
    parameters: undefined,
    inputModalities: ['text'],
    outputModalities: ['text'],
    releaseDate: undefined,
    aliases: [],
    endpoints: [
      {
        providerId: 'local',
        upstreamModel: id,
        pricing: { prompt: 0, completion: 0 },
        contextLength: options.contextSize,
        maxOutput: undefined,
        quantization: undefined,
        supportedParameters: new Set(['temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens', 'seed', 'stop']),
        dataPolicy: { retentionDays: 0, trainsOnPrompts: false, zdr: true },
        jurisdiction: undefined,
        status: 'active',
      },
    ],
  });
  return id;
}
