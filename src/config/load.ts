/**
 * Loads the YAML config: parse → interpolate `${ENV}` → validate (strict zod) → merge over the
 * bundled catalog → resolve secrets and enablement. Every problem is a ConfigError naming the
 * file, the field path and what was expected; `agora serve` prints it and exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BUNDLED_CATALOG } from './defaults.js';
import { PUBLIC_HEADERS, Secrets, urlCredentials } from '../lib/secrets.js';
import { configSchema, type ConfigFile, type ModelFile, type ProviderFile } from './schema.js';
import {
  DEFAULT_ROUTING,
  DEFAULT_SERVER,
  DEFAULT_SUPPORTED_PARAMETERS,
  DEFAULT_TIMEOUTS,
  type DataPolicy,
  type ResolvedConfig,
  type ResolvedModel,
  type ResolvedProvider,
  type Timeouts,
} from './types.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expectation: string,
  ) {
    super(`config error in ${file}${path ? ` at ${path}` : ''}: ${expectation}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path of the YAML file; undefined means the bundled catalog alone. */
  file?: string | undefined;
  /** The YAML text itself (tests); `file` is then only used in messages. */
  text?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const label = options.file ?? '<bundled defaults>';
  let raw: unknown = {};
  if (options.text !== undefined || options.file !== undefined) {
    const text = options.text ?? readConfigText(options.file!);
    raw = parseYaml(text, label) ?? {};
  }
  const fromEnvironment: string[] = [];
  raw = interpolateEnv(raw, env, label, [], fromEnvironment);
  const file = validate(configSchema, raw, label);
  const bundled = file.bundled_catalog ? validate(configSchema, BUNDLED_CATALOG, '<bundled catalog>') : undefined;
  const config = resolve(file, bundled, label, env, options.file ?? null);
  // Every value read from the environment is treated as a secret, with every provider's keys and credential headers.
  for (const value of fromEnvironment) if (!/^\d+$/.test(value)) config.secrets.add(value);
  return config;
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`);
  }
}

function parseYaml(text: string, label: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  const first = document.errors[0];
  if (first) {
    const position = lineCounter.linePos(first.pos[0]);
    const where = `line ${position.line}, column ${position.col}`;
    throw new ConfigError(label, where, `invalid YAML: ${first.message.split('\n')[0]}`);
  }
  return document.toJS();
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string value; values taken from `env` are collected in `found`. */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, label: string, path: Array<string | number>, found: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const set = env[name];
      if (set !== undefined && set !== '') {
        found.push(set);
        return set;
      }
      if (fallback !== undefined) return fallback;
      throw new ConfigError(label, formatPath(path), `environment variable ${name} is not set (referenced as \${${name}})`);
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, label, [...path, index], found));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateEnv(item, env, label, [...path, key], found);
    return out;
  }
  return value;
}

function validate<T extends z.ZodType>(schema: T, raw: unknown, label: string): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path.push(issue.keys[0]!);
    message = 'unknown field (check its spelling and level)';
  } else if (issue.code === 'invalid_key') {
    message = issue.issues[0]?.message ?? message; // a record key (provider or model id) failed its pattern
  } else if (issue.code === 'invalid_type') {
    // zod 4 leaves `issue.input` out of issues by default, so look the value up in the raw config.
    // Name only its type: the value may be a secret interpolated from the environment.
    const value = valueAt(raw, issue.path);
    message = value === undefined ? `required field missing: ${message}` : `${message}, got ${typeName(value)}`;
  } else if ('input' in issue && issue.input !== undefined && typeof issue.input !== 'object') {
    message = `${message}, got ${JSON.stringify(issue.input)}`;
  }
  throw new ConfigError(label, formatPath(path as Array<string | number>), message);
}

function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function resolve(
  file: ConfigFile,
  bundled: ConfigFile | undefined,
  label: string,
  env: NodeJS.ProcessEnv,
  source: string | null,
): ResolvedConfig {
  const globalTimeouts: Timeouts = mergeTimeouts(DEFAULT_TIMEOUTS, file.timeouts);
  const providers = new Map<string, ResolvedProvider>();
  const secrets = new Secrets();
  const providerEntries: Array<[string, ProviderFile, boolean]> = [
    ...Object.entries(bundled?.providers ?? {}).map(([id, value]): [string, ProviderFile, boolean] => [id, value, true]),
    ...Object.entries(file.providers).map(([id, value]): [string, ProviderFile, boolean] => [id, value, false]),
  ];
  for (const [id, provider, isBundled] of providerEntries) {
    const resolved = resolveProvider(id, provider, globalTimeouts, env, isBundled ? '<bundled catalog>' : label, secrets);
    providers.set(id, resolved);
    secrets.add(resolved.apiKey);
    for (const [name, value] of Object.entries(resolved.headers)) if (!PUBLIC_HEADERS.has(name.toLowerCase())) secrets.add(value);
    for (const part of urlCredentials(resolved.baseUrl)) secrets.add(part);
  }
  const models = new Map<string, ResolvedModel>();
  const modelEntries: Array<[string, ModelFile, string]> = [
    ...Object.entries(bundled?.models ?? {}).map(([id, value]): [string, ModelFile, string] => [id, value, '<bundled catalog>']),
    ...Object.entries(file.models).map(([id, value]): [string, ModelFile, string] => [id, value, label]),
  ];
  for (const [id, model, origin] of modelEntries) {
    model.endpoints.forEach((endpoint, index) => {
      if (!providers.has(endpoint.provider)) {
        throw new ConfigError(
          origin,
          `models.${id}.endpoints[${index}].provider`,
          `unknown provider "${endpoint.provider}"; expected one of: ${[...providers.keys()].join(', ')}`,
        );
      }
    });
    models.set(id, {
      id,
      author: id.slice(0, id.indexOf('/')),
      name: model.name ?? id,
      description: model.description,
      contextLength: model.context_length ?? maxOf(model.endpoints.map((endpoint) => endpoint.context_length)),
      huggingFaceId: model.hugging_face_id,
      created: model.created,
      kind: model.kind,
      endpoints: model.endpoints.map((endpoint) => {
        const provider = providers.get(endpoint.provider)!;
        return {
          providerId: endpoint.provider,
          upstreamModel: endpoint.model,
          pricing: {
            prompt: endpoint.pricing.prompt,
            completion: endpoint.pricing.completion,
            ...(endpoint.pricing.cache_read !== undefined ? { cacheRead: endpoint.pricing.cache_read } : {}),
            ...(endpoint.pricing.cache_write !== undefined ? { cacheWrite: endpoint.pricing.cache_write } : {}),
            ...(endpoint.pricing.reasoning !== undefined ? { reasoning: endpoint.pricing.reasoning } : {}),
            ...(endpoint.pricing.request !== undefined ? { request: endpoint.pricing.request } : {}),
            ...(endpoint.pricing.tiers
              ? {
                  tiers: [...endpoint.pricing.tiers]
                    .sort((left, right) => left.above_prompt_tokens - right.above_prompt_tokens)
                    .map((tier) => ({
                      abovePromptTokens: tier.above_prompt_tokens,
                      prompt: tier.prompt,
                      completion: tier.completion,
                      ...(tier.cache_read !== undefined ? { cacheRead: tier.cache_read } : {}),
                      ...(tier.cache_write !== undefined ? { cacheWrite: tier.cache_write } : {}),
                    })),
                }
              : {}),
          },
          contextLength: endpoint.context_length ?? model.context_length,
          maxOutput: endpoint.max_output,
          quantization: endpoint.quantization,
          supportedParameters: new Set(endpoint.supported_parameters ?? provider.supportedParameters),
          dataPolicy: mergePolicy(provider.dataPolicy, endpoint.data_policy),
          jurisdiction: endpoint.jurisdiction ?? provider.jurisdiction,
          status: endpoint.status ?? 'active',
        };
      }),
    });
  }
  const server = file.server ?? {};
  const routing = file.routing ?? {};
  return {
    source,
    secrets,
    routing: {
      ejectionBaseMs: routing.ejection_base_ms ?? DEFAULT_ROUTING.ejectionBaseMs,
      ejectionMaxMs: routing.ejection_max_ms ?? DEFAULT_ROUTING.ejectionMaxMs,
      consecutiveFailures: routing.consecutive_failures ?? DEFAULT_ROUTING.consecutiveFailures,
      maxAttempts: routing.max_attempts ?? DEFAULT_ROUTING.maxAttempts,
      stickyTtlMs: routing.sticky_ttl_ms ?? DEFAULT_ROUTING.stickyTtlMs,
    },
    server: {
      host: server.host ?? DEFAULT_SERVER.host,
      port: server.port ?? DEFAULT_SERVER.port,
      bodyLimitBytes: server.body_limit_bytes ?? DEFAULT_SERVER.bodyLimitBytes,
      shutdownGraceMs: server.shutdown_grace_ms ?? DEFAULT_SERVER.shutdownGraceMs,
      headerTimeoutMs: server.header_timeout_ms ?? DEFAULT_SERVER.headerTimeoutMs,
      bodyTimeoutMs: Math.max(
        server.body_timeout_ms ?? DEFAULT_SERVER.bodyTimeoutMs,
        server.header_timeout_ms ?? DEFAULT_SERVER.headerTimeoutMs,
      ),
      maxConnectionsPerClient: server.max_connections_per_client ?? DEFAULT_SERVER.maxConnectionsPerClient,
      corsOrigins: server.cors_origins ?? DEFAULT_SERVER.corsOrigins,
    },
    providers,
    models,
  };
}

function resolveProvider(
  id: string,
  provider: ProviderFile,
  globalTimeouts: Timeouts,
  env: NodeJS.ProcessEnv,
  origin: string,
  secrets: Secrets,
): ResolvedProvider {
  const fromEnv = (name: string | undefined): string | undefined => (name && env[name] ? env[name] : undefined);
  if (provider.type === 'local' && !provider.model_path) {
    throw new ConfigError(
      origin,
      `providers.${id}.model_path`,
      'required field missing: a local provider needs model_path (a .gguf file or an hf: URI)',
    );
  }
  const baseUrl =
    fromEnv(provider.base_url_env) ?? provider.base_url ?? (provider.type === 'local' ? `local://${provider.model_path}` : undefined);
  if (!baseUrl) {
    throw new ConfigError(
      origin,
      `providers.${id}.base_url`,
      'required field missing: expected an http:// or https:// URL (or base_url_env)',
    );
  }
  const apiKey = provider.api_key ?? fromEnv(provider.api_key_env);
  const missing: string[] = [];
  if (provider.api_key === undefined && provider.api_key_env && !apiKey) missing.push(provider.api_key_env);
  if (provider.base_url_env && !fromEnv(provider.base_url_env)) missing.push(provider.base_url_env);
  const enabled = provider.enabled !== false && missing.length === 0;
  let disabledReason: string | undefined;
  if (provider.enabled === false) disabledReason = 'disabled in the config file';
  else if (missing.length > 0) disabledReason = `set ${missing.join(' and ')} to enable it`;
  return {
    id,
    type: provider.type,
    name: provider.name ?? id,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiKey,
    secrets,
    headers: provider.headers ?? {},
    jurisdiction: provider.jurisdiction,
    enabled,
    disabledReason,
    timeouts: mergeTimeouts(globalTimeouts, provider.timeouts),
    maxConnections: provider.max_connections ?? 128,
    streamUsage: provider.stream_usage ?? true,
    dataPolicy: mergePolicy(undefined, provider.data_policy),
    supportedParameters: provider.supported_parameters ?? DEFAULT_SUPPORTED_PARAMETERS,
    reasoningParam: provider.reasoning_param ?? 'reasoning_effort',
    ...(provider.reasoning_efforts ? { reasoningEfforts: provider.reasoning_efforts } : {}),
    ...(provider.type === 'local'
      ? {
          local: {
            model: provider.model_path!,
            threads: provider.threads,
            sequences: provider.sequences ?? 2,
            contextSize: provider.context_size,
            gpu: provider.gpu ?? false,
          },
        }
      : {}),
  };
}

function mergePolicy(base: DataPolicy | undefined, override: ProviderFile['data_policy']): DataPolicy {
  return {
    retentionDays: override?.retention_days ?? base?.retentionDays,
    trainsOnPrompts: override?.trains_on_prompts ?? base?.trainsOnPrompts,
    zdr: override?.zdr ?? base?.zdr,
  };
}

function mergeTimeouts(base: Timeouts, override: ConfigFile['timeouts']): Timeouts {
  return {
    connectMs: override?.connect_ms ?? base.connectMs,
    firstByteMs: override?.first_byte_ms ?? base.firstByteMs,
    idleMs: override?.idle_ms ?? base.idleMs,
  };
}

function maxOf(values: Array<number | undefined>): number | undefined {
  const present = values.filter((value): value is number => value !== undefined);
  return present.length > 0 ? Math.max(...present) : undefined;
}
