/**
 * Loads the YAML config: parse → interpolate `${ENV}` → validate (strict zod) → merge over the
 * bundled catalog → resolve secrets and enablement. Every problem is a ConfigError naming the
 * file, the field path and what was expected; `agora serve` prints it and exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { BUNDLED_CATALOG } from './defaults.js';
import { cachedBundledCatalog } from './bundled-cache.js';
import { PUBLIC_HEADERS, Secrets, urlCredentials } from '../lib/secrets.js';
import {
  OTLP_PROTOCOLS,
  OTLP_PROTOCOL_EXPECTED,
  catalogDocumentSchema,
  configSchema,
  type CatalogDocument,
  type ConfigFile,
  type ModelFile,
  type OtlpProtocol,
  type ProviderFile,
} from './schema.js';
import {
  DEFAULT_ROUTING,
  DEFAULT_SERVER,
  DEFAULT_SUPPORTED_PARAMETERS,
  DEFAULT_TIMEOUTS,
  type DataPolicy,
  type ResolvedAuthor,
  type ResolvedConfig,
  type ResolvedModel,
  type ResolvedProvider,
  type TelemetrySettings,
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
  /**
   * The catalog `agora models sync` stored in the database (a catalog document): merged over the
   * bundled catalog and under the file, unless the file sets `synced_catalog: false`.
   */
  synced?: unknown;
}

/** Default for `catalog_refresh_ms`. */
export const DEFAULT_CATALOG_REFRESH_MS = 5_000;

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
  const bundled = file.bundled_catalog ? (BUNDLED_CATALOG as RawCatalog) : undefined;
  let synced: RawCatalog | undefined;
  let facts: Record<string, Record<string, unknown>> | undefined;
  if (file.synced_catalog && options.synced !== undefined) {
    const { provider_facts: stored, ...document } = options.synced as RawCatalog & {
      provider_facts?: Record<string, Record<string, unknown>>;
    };
    validate(catalogDocumentSchema, document, '<synced catalog>');
    synced = document;
    facts = stored;
  }
  const layered = layer(bundled, synced);
  // The bundled catalog alone is validated at build time (bundled-cache.ts); a synced layer is validated here with it.
  const base = layered
    ? (!synced && cachedBundledCatalog()) ||
      validate(catalogDocumentSchema, layered, synced ? '<bundled and synced catalog>' : '<bundled catalog>')
    : undefined;
  // Provider facts set through the admin API win over every layer, the config file's included.
  for (const [id, set] of Object.entries(facts ?? {})) {
    const target = file.providers[id] ? file.providers : base?.providers[id] ? base.providers : undefined;
    if (!target) continue;
    const before = target[id]!;
    const policy = set.data_policy as ProviderFile['data_policy'];
    target[id] = { ...before, ...set, ...(policy ? { data_policy: { ...before.data_policy, ...policy } } : {}) };
  }
  const config = resolve(file, base, label, env, options.file ?? null);
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
  // The YAML parser is loaded only when there is a file to parse (a start on the bundled catalog never reads it).
  const { LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
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

/** A catalog document as written (before validation): the config file's catalog sections. */
export interface RawCatalog {
  authors?: Record<string, object>;
  providers?: Record<string, object>;
  models?: Record<string, { endpoints?: Array<{ provider?: unknown } & Record<string, unknown>> } & Record<string, unknown>>;
}

/**
 * One catalog over another, entry by entry, before validation (so a default such as `kind: chat`
 * never overrides a fact it did not state): an author, provider or model keeps the fields the upper
 * layer leaves out, and a model's endpoints merge by provider (an upper endpoint replaces the one
 * of the same provider; the others stay).
 */
export function layer(base: RawCatalog | undefined, over: RawCatalog | undefined): RawCatalog | undefined {
  if (!over) return base;
  if (!base) return over;
  const merge = <T extends object>(under: Record<string, T> = {}, upper: Record<string, T> = {}): Record<string, T> => {
    const out: Record<string, T> = { ...under };
    for (const [id, entry] of Object.entries(upper)) out[id] = out[id] ? { ...out[id], ...defined(entry) } : entry;
    return out;
  };
  const models: NonNullable<RawCatalog['models']> = merge(base.models, over.models);
  for (const [id, model] of Object.entries(over.models ?? {})) {
    const under = base.models?.[id];
    if (!under) continue;
    const upper = model.endpoints ?? [];
    const replaced = new Set(upper.map((endpoint) => endpoint.provider));
    models[id] = {
      ...models[id],
      endpoints: [...(under.endpoints ?? []).filter((endpoint) => !replaced.has(endpoint.provider)), ...upper],
    };
    // Parameter counts merge by field too: a total from one source keeps the active count from another.
    if (isPlain(under.parameters) && isPlain(model.parameters))
      models[id].parameters = { ...under.parameters, ...defined(model.parameters) };
  }
  return { authors: merge(base.authors, over.authors), providers: merge(base.providers, over.providers), models };
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The fields that are set (an upper entry never erases a fact by leaving it out). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

function resolve(
  file: ConfigFile,
  bundled: CatalogDocument | undefined,
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
  const authors = new Map<string, ResolvedAuthor>();
  for (const [id, author] of [...Object.entries(bundled?.authors ?? {}), ...Object.entries(file.authors)]) {
    authors.set(id, { id, name: author.name ?? id, country: author.country, homepage: author.homepage });
  }
  const warnings: string[] = [];
  const models = new Map<string, ResolvedModel>();
  const modelEntries: Array<[string, ModelFile, string]> = [
    ...Object.entries(bundled?.models ?? {}).map(([id, value]): [string, ModelFile, string] => [id, value, '<bundled catalog>']),
    ...Object.entries(file.models).map(([id, value]): [string, ModelFile, string] => [id, value, label]),
  ];
  for (const [id, listed, origin] of modelEntries) {
    let model = listed;
    if (origin === label) {
      model.endpoints.forEach((endpoint, index) => {
        if (!providers.has(endpoint.provider)) {
          throw new ConfigError(
            origin,
            `models.${id}.endpoints[${index}].provider`,
            `unknown provider "${endpoint.provider}"; expected one of: ${[...providers.keys()].join(', ')}`,
          );
        }
      });
    } else {
      // The bundled and synced catalogs never stop a start: an endpoint of a provider the file removed is dropped, and said.
      const kept = model.endpoints.filter((endpoint) => providers.has(endpoint.provider));
      if (kept.length !== model.endpoints.length) {
        const dropped = model.endpoints.filter((endpoint) => !providers.has(endpoint.provider)).map((endpoint) => endpoint.provider);
        warnings.push(`${id}: endpoints of unknown providers left out (${dropped.join(', ')})`);
        model = { ...model, endpoints: kept };
      }
    }
    const author = id.slice(id.startsWith('~') ? 1 : 0, id.indexOf('/'));
    const created = model.created ?? (model.release_date ? Math.floor(Date.parse(`${model.release_date}T00:00:00Z`) / 1000) : undefined);
    models.set(id, {
      id,
      author,
      name: model.name ?? id,
      description: model.description,
      contextLength: model.context_length ?? maxOf(model.endpoints.map((endpoint) => endpoint.context_length)),
      huggingFaceId: model.hugging_face_id,
      created: created !== undefined && Number.isFinite(created) ? created : undefined,
      kind: model.kind,
      authorName: authors.get(author)?.name,
      authorCountry: authors.get(author)?.country,
      openWeights: model.open_weights,
      license: model.license,
      parameters: model.parameters ? { total: model.parameters.total, active: model.parameters.active } : undefined,
      inputModalities: model.input_modalities ?? ['text'],
      outputModalities: model.output_modalities ?? [model.kind === 'embedding' ? 'embeddings' : 'text'],
      releaseDate: model.release_date,
      aliases: model.aliases ?? [],
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
          datacenters: endpoint.datacenters ?? provider.datacenters ?? [],
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
    authors,
    catalogRefreshMs: file.catalog_refresh_ms ?? DEFAULT_CATALOG_REFRESH_MS,
    recordsRetentionDays: file.records?.retention_days,
    policies: file.policies,
    governance: {
      regionHeader: file.governance?.region_header?.toLowerCase(),
      trustedProxies: file.governance?.trusted_proxies ?? [],
      geoipDatabase: file.governance?.geoip_database,
      refreshMs: file.governance?.refresh_ms ?? 5_000,
    },
    telemetry: resolveTelemetry(file.telemetry, env, secrets),
    syncedCatalog: file.synced_catalog,
    warnings,
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
    apiKeyEnv: provider.api_key_env,
    refusedRegions: provider.refused_regions ?? [],
    datacenters: provider.datacenters ?? [],
    homepage: provider.homepage,
    privacyPolicyUrl: provider.privacy_policy_url,
    termsOfServiceUrl: provider.terms_of_service_url,
    statusPageUrl: provider.status_page_url,
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

/**
 * Telemetry settings: the file's, else OpenTelemetry's standard variables (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * taken as is, OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME;
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn tracing off). Header values are secrets.
 */
function resolveTelemetry(file: ConfigFile['telemetry'], env: NodeJS.ProcessEnv, secrets: Secrets): TelemetrySettings {
  const base = file?.otlp_endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  const tracesUrl = file?.otlp_endpoint
    ? tracesPath(file.otlp_endpoint)
    : (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? tracesPath(base) : undefined));
  const headers: Record<string, string> = { ...(file?.otlp_headers ?? parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS)) };
  for (const value of Object.values(headers)) secrets.add(value);
  const otlpTracesUrl = disabled || !tracesUrl || !/^https?:\/\//.test(tracesUrl) ? undefined : tracesUrl;
  return {
    metricsEnabled: file?.metrics?.enabled ?? true,
    metricsRequireKey: file?.metrics?.require_key ?? false,
    otlpTracesUrl,
    otlpHeaders: headers,
    // The variables are read only when spans are exported: an environment set up for other services does not stop the gateway.
    otlpProtocol: file?.otlp_protocol ?? (otlpTracesUrl ? protocolFromEnv(env) : 'http/protobuf'),
    traceSampleRatio: file?.sample_ratio ?? sampleRatioFromEnv(env),
    serviceName: file?.service_name ?? env.OTEL_SERVICE_NAME ?? 'agora',
  };
}

/** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf (the exporters' default); grpc is refused by name. */
function protocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if ((OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    throw new ConfigError('the environment', name, `${JSON.stringify(value)} is not supported: ${OTLP_PROTOCOL_EXPECTED}`);
  }
  return 'http/protobuf';
}

/** OTEL_TRACES_SAMPLER: always_off → 0, (parentbased_)traceidratio → OTEL_TRACES_SAMPLER_ARG (default 1), else 1. */
function sampleRatioFromEnv(env: NodeJS.ProcessEnv): number {
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') return 0;
  if (sampler !== 'traceidratio' && sampler !== 'parentbased_traceidratio') return 1;
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  return Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1;
}

function tracesPath(endpoint: string): string {
  return /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** `key1=value1,key2=value2` (values percent-decoded), as the OTLP exporter specification writes them. */
function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      headers[pair.slice(0, at).trim().toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // a malformed escape: the header is left out
    }
  }
  return headers;
}
