/** The resolved configuration: the config file merged over the bundled catalog, secrets read from the environment. */
import type { Secrets } from '../lib/secrets.js';
import type { KnownParameter, OtlpProtocol, PolicyFile, ProviderType, ReasoningEffort } from './schema.js';

export interface GovernanceSettings {
  regionHeader: string | undefined;
  trustedProxies: readonly string[];
  geoipDatabase: string | undefined;
  refreshMs: number;
}

export interface TelemetrySettings {
  metricsEnabled: boolean;
  /** GET /metrics asks for an admin key. */
  metricsRequireKey: boolean;
  /** Where spans are POSTed (OTLP/HTTP, `…/v1/traces`); undefined: tracing off, nothing loaded. */
  otlpTracesUrl: string | undefined;
  /** How they are encoded: binary protobuf (application/x-protobuf) or JSON. */
  otlpProtocol: OtlpProtocol;
  otlpHeaders: Record<string, string>;
  /** Share of requests traced, 0 to 1 (a caller's traceparent decides for its own request). */
  traceSampleRatio: number;
  serviceName: string;
}

export interface Timeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From request sent to response headers (for a non-streamed call: the whole generation). */
  firstByteMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
}

/** USD per 1M tokens, as listed; money.ts turns these into integer units. */
export interface Pricing {
  prompt: number;
  completion: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  /** USD per request. */
  request?: number;
  /** Long-context tiers, ascending: above `abovePromptTokens`, the whole request uses the tier's rates. */
  tiers?: Array<{ abovePromptTokens: number; prompt: number; completion: number; cacheRead?: number; cacheWrite?: number }>;
}

export interface DataPolicy {
  retentionDays: number | undefined;
  trainsOnPrompts: boolean | undefined;
  zdr: boolean | undefined;
}

export interface RoutingSettings {
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  consecutiveFailures: number;
  maxAttempts: number;
  stickyTtlMs: number;
}

export const DEFAULT_ROUTING: RoutingSettings = {
  ejectionBaseMs: 30_000,
  ejectionMaxMs: 300_000,
  consecutiveFailures: 5,
  maxAttempts: 3,
  stickyTtlMs: 300_000,
};

/** What an OpenAI-compatible endpoint honours when its config does not say. */
export const DEFAULT_SUPPORTED_PARAMETERS: readonly KnownParameter[] = [
  'temperature',
  'top_p',
  'frequency_penalty',
  'presence_penalty',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'n',
  'user',
];

export interface ResolvedProvider {
  id: string;
  type: ProviderType;
  name: string;
  baseUrl: string;
  /** Never logged; only sent to this provider's own origin. */
  apiKey: string | undefined;
  /** Every secret of the configuration (shared by all providers): masked in any upstream text. */
  secrets: Secrets;
  headers: Record<string, string>;
  jurisdiction: string | undefined;
  enabled: boolean;
  /** Why the provider is off (which variable to set), for `agora models show` and 503 messages. */
  disabledReason: string | undefined;
  timeouts: Timeouts;
  maxConnections: number;
  streamUsage: boolean;
  dataPolicy: DataPolicy;
  /** Default for endpoints that do not list their own. */
  supportedParameters: readonly string[];
  reasoningParam: 'reasoning_effort' | 'enable_thinking' | 'none';
  /** The `reasoning_effort` values the upstream accepts (undefined: minimal, low, medium, high). */
  reasoningEfforts?: readonly ReasoningEffort[];
  /** For `type: local` (in-process llama.cpp). */
  local?: LocalModelSettings;
  /** The variable its key is read from (a name, not a secret). */
  apiKeyEnv?: string | undefined;
  /** Countries of its data centres, where published. */
  datacenters?: readonly string[];
  /** Client regions the provider itself refuses to serve. */
  refusedRegions?: readonly string[];
  homepage?: string | undefined;
  privacyPolicyUrl?: string | undefined;
  termsOfServiceUrl?: string | undefined;
  statusPageUrl?: string | undefined;
}

export interface ResolvedAuthor {
  id: string;
  name: string;
  /** Headquarters, ISO 3166 alpha-2. */
  country: string | undefined;
  homepage: string | undefined;
}

export interface LocalModelSettings {
  /** A GGUF file path, or an `hf:` URI. */
  model: string;
  threads: number | undefined;
  sequences: number;
  contextSize: number | undefined;
  gpu: boolean;
}

export interface ResolvedEndpoint {
  providerId: string;
  upstreamModel: string;
  pricing: Pricing;
  contextLength: number | undefined;
  maxOutput: number | undefined;
  quantization: string | undefined;
  supportedParameters: ReadonlySet<string>;
  dataPolicy: DataPolicy;
  jurisdiction: string | undefined;
  /** Countries of the data centres this endpoint runs in (its own, else its provider's); empty when unpublished. */
  datacenters?: readonly string[];
  status: 'active' | 'deprecated' | 'disabled';
}

export interface ResolvedModel {
  id: string;
  author: string;
  name: string;
  description: string | undefined;
  contextLength: number | undefined;
  huggingFaceId: string | undefined;
  /** Release time, Unix seconds, when the config gives it. */
  created: number | undefined;
  kind: 'chat' | 'embedding';
  /** The author's display name and country (from `authors:`), when known. */
  authorName: string | undefined;
  authorCountry: string | undefined;
  openWeights: boolean | undefined;
  license: string | undefined;
  /** Parameter counts: total, and active per token for a mixture of experts. */
  parameters: { total: number | undefined; active: number | undefined } | undefined;
  inputModalities: readonly string[];
  outputModalities: readonly string[];
  /** YYYY-MM-DD. */
  releaseDate: string | undefined;
  /** Other names hosts sell it under (for the LiteLLM join). */
  aliases: readonly string[];
  /** Empty for a model listed without a host (a price that is not fixed). */
  endpoints: ResolvedEndpoint[];
}

export interface ServerSettings {
  host: string;
  port: number;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  /** 0: no cap. */
  maxConnectionsPerClient: number;
  /** Exact origins, or `*`; empty: CORS closed. */
  corsOrigins: readonly string[];
}

export interface ResolvedConfig {
  /** The file it came from, or null for the bundled defaults alone. */
  source: string | null;
  /** Every secret value the configuration knows; masked in logs, stored records and answers. */
  secrets: Secrets;
  server: ServerSettings;
  routing: RoutingSettings;
  providers: Map<string, ResolvedProvider>;
  models: Map<string, ResolvedModel>;
  authors: Map<string, ResolvedAuthor>;
  /** Days generation records are kept (undefined: for ever); rollups are kept regardless. */
  recordsRetentionDays: number | undefined;
  /** How often a running gateway looks for a newer synced catalog (0: never). */
  catalogRefreshMs: number;
  /** Whether the database's synced catalog is merged (`synced_catalog`). */
  syncedCatalog: boolean;
  /** Governance policies from the config file (the admin API adds stored ones). */
  policies: PolicyFile[];
  governance: GovernanceSettings;
  telemetry: TelemetrySettings;
  /** What was dropped while merging the synced catalog (an endpoint of a provider no longer configured). */
  warnings: string[];
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, firstByteMs: 300_000, idleMs: 120_000 };
export const DEFAULT_SERVER: ServerSettings = {
  host: '127.0.0.1',
  port: 8700,
  bodyLimitBytes: 16 * 1024 * 1024,
  shutdownGraceMs: 30_000,
  headerTimeoutMs: 20_000,
  bodyTimeoutMs: 120_000,
  maxConnectionsPerClient: 512,
  corsOrigins: [],
};
