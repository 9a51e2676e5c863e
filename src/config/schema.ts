/**
 * The config file's schema (YAML, see contracts.md). Strict: an unknown key is an error that
 * names its path, so a typo never silently does nothing. snake_case on the wire, as in the file.
 */
import { z } from './zod.js';

/** Adapter kinds. Provider *instances* are named in config; their kind is one of these. */
export const PROVIDER_TYPES = ['openai-compatible', 'anthropic', 'gemini', 'local'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const httpUrl = z
  .string({ error: 'expected a URL string' })
  .refine((value) => /^https?:\/\/[^\s/]+/.test(value), { message: 'expected an http:// or https:// URL' });

/** A field written as one `${VAR}` reference arrives as a string: numeric text is read as the number it spells. */
const numeric = (value: unknown): unknown => (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value);
const positiveInt = z.preprocess(
  numeric,
  z.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a number above 0'),
);
const nonNegative = z.preprocess(
  numeric,
  z.number({ error: 'expected a number (USD per 1M tokens)' }).nonnegative('expected a number of 0 or more'),
);

export const timeoutsSchema = z.strictObject({
  connect_ms: positiveInt.optional(),
  first_byte_ms: positiveInt.optional(),
  idle_ms: positiveInt.optional(),
});

export const pricingSchema = z.strictObject({
  prompt: nonNegative,
  completion: nonNegative,
  cache_read: nonNegative.optional(),
  cache_write: nonNegative.optional(),
  reasoning: nonNegative.optional(),
  request: z.number().nonnegative('expected USD per request, 0 or more').optional(),
  /** Long-context tiers: above this many prompt tokens, the whole request is priced at the tier's rates. */
  tiers: z
    .array(
      z.strictObject({
        above_prompt_tokens: positiveInt,
        prompt: nonNegative,
        completion: nonNegative,
        cache_read: nonNegative.optional(),
        cache_write: nonNegative.optional(),
      }),
    )
    .optional(),
});

/** Reasoning efforts, least to most (OpenAI's and OpenRouter's vocabulary). */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** OpenRouter's `supported_parameters` vocabulary (the request fields an endpoint honours). */
export const KNOWN_PARAMETERS = [
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'top_a',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'max_tokens',
  'max_completion_tokens',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'seed',
  'response_format',
  'structured_outputs',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'include_reasoning',
  'reasoning',
  'reasoning_effort',
  'web_search_options',
  'verbosity',
  'n',
  'user',
  'prediction',
  'service_tier',
  'modalities',
] as const;
export type KnownParameter = (typeof KNOWN_PARAMETERS)[number];

const parameterList = z.array(z.enum(KNOWN_PARAMETERS, { error: `expected parameter names from: ${KNOWN_PARAMETERS.join(', ')}` }));

export const QUANTIZATIONS = ['int4', 'int8', 'fp4', 'mxfp4', 'nvfp4', 'fp6', 'fp8', 'mxfp8', 'fp16', 'bf16', 'fp32', 'unknown'] as const;

export const dataPolicySchema = z.strictObject({
  /** Days prompts and answers are kept (0: not stored). */
  retention_days: z.number().int().nonnegative().optional(),
  trains_on_prompts: z.boolean().optional(),
  /** Zero data retention, as the provider commits to it. */
  zdr: z.boolean().optional(),
});

const country = z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 two-letter country code, e.g. US');

/** Who makes models: the part of a model id before the slash. */
export const authorSchema = z.strictObject({
  name: z.string().optional(),
  /** Where the company is headquartered. */
  country: country.optional(),
  homepage: httpUrl.optional(),
});

export const MODALITIES = ['text', 'image', 'audio', 'video', 'file', 'embeddings'] as const;
const modalityList = z.array(z.enum(MODALITIES, { error: `expected modalities from: ${MODALITIES.join(', ')}` }));

export const providerSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES, { error: `expected one of: ${PROVIDER_TYPES.join(', ')}` }).default('openai-compatible'),
  name: z.string().optional(),
  base_url: httpUrl.optional(),
  base_url_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
    .optional(),
  api_key: z.string().optional(),
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
    .optional(),
  /** The serving company's country (its headquarters). */
  jurisdiction: country.optional(),
  /** Countries of the data centres it serves from, where published. */
  datacenters: z.array(country).optional(),
  /** Client regions (ISO countries) the provider itself refuses to serve, where it says so. */
  refused_regions: z.array(country).optional(),
  homepage: httpUrl.optional(),
  privacy_policy_url: httpUrl.optional(),
  terms_of_service_url: httpUrl.optional(),
  status_page_url: httpUrl.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeouts: timeoutsSchema.optional(),
  max_connections: positiveInt.optional(),
  enabled: z.boolean().optional(),
  /** Whether the upstream accepts `stream_options.include_usage` (vLLM, SGLang, OpenAI, DeepSeek do). */
  stream_usage: z.boolean().optional(),
  data_policy: dataPolicySchema.optional(),
  /** Default for this provider's endpoints. */
  supported_parameters: parameterList.optional(),
  /**
   * How the request's `reasoning` is sent: `reasoning_effort` (OpenAI, most servers),
   * `enable_thinking` (Qwen on DashScope / vLLM: enable_thinking + thinking_budget) or `none`
   * (the model decides, e.g. deepseek-reasoner).
   */
  reasoning_param: z.enum(['reasoning_effort', 'enable_thinking', 'none']).optional(),
  /** The `reasoning_effort` values the upstream accepts (default minimal, low, medium, high); others are sent as the nearest one. */
  reasoning_efforts: z
    .array(z.enum(REASONING_EFFORTS, { error: `expected efforts from: ${REASONING_EFFORTS.join(', ')}` }))
    .min(1)
    .optional(),
  /** `type: local` only: a GGUF file path, or an `hf:` URI that node-llama-cpp downloads. */
  model_path: z.string().min(1).optional(),
  /** `type: local`: CPU threads for inference (1 is fastest for tiny models on 2 cores). */
  threads: positiveInt.optional(),
  /** `type: local`: requests generated in parallel; more wait in a queue. */
  sequences: positiveInt.optional(),
  context_size: positiveInt.optional(),
  gpu: z.boolean().optional(),
});

export const endpointSchema = z.strictObject({
  provider: z.string({ error: 'expected a provider id' }).min(1),
  model: z.string({ error: "expected the upstream's model name" }).min(1),
  pricing: pricingSchema,
  context_length: positiveInt.optional(),
  max_output: positiveInt.optional(),
  quantization: z.enum(QUANTIZATIONS, { error: `expected one of: ${QUANTIZATIONS.join(', ')}` }).optional(),
  supported_parameters: parameterList.optional(),
  data_policy: dataPolicySchema.optional(),
  /** ISO country where this endpoint serves, when it differs from the provider's. */
  jurisdiction: country.optional(),
  /** Countries of the data centres this endpoint runs in, when they differ from the provider's. */
  datacenters: z.array(country).optional(),
  /** `disabled` keeps the endpoint in the catalog but never routes to it. */
  status: z.enum(['active', 'deprecated', 'disabled']).optional(),
});

/**
 * `author/slug`, with an optional tag OpenRouter uses for a variant sold apart (`:free`, `:thinking`),
 * and OpenRouter's leading `~` for an alias that follows the author's latest model (`~openai/gpt-latest`).
 */
export const MODEL_ID_PATTERN = /^~?[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*(:[a-z0-9][a-z0-9._-]*)?$/;

export const modelSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  context_length: positiveInt.optional(),
  hugging_face_id: z.string().optional(),
  /** When the model was released, Unix seconds (OpenRouter's `created`); unknown when left out. */
  created: z.preprocess(numeric, z.number({ error: 'expected Unix seconds' }).int('expected whole seconds').nonnegative()).optional(),
  kind: z.enum(['chat', 'embedding']).default('chat'),
  /** Whether the weights are published for anyone to download. */
  open_weights: z.boolean().optional(),
  /** The license's SPDX id or name (`mit`, `apache-2.0`, `llama3.3`, `proprietary`). */
  license: z.string().min(1).optional(),
  /** Parameter counts (not billions): `total`, and `active` per token for a mixture of experts. */
  parameters: z
    .strictObject({
      total: z.number({ error: 'expected a parameter count, e.g. 671e9' }).positive().optional(),
      active: z.number({ error: 'expected a parameter count, e.g. 37e9' }).positive().optional(),
    })
    .optional(),
  input_modalities: modalityList.optional(),
  output_modalities: modalityList.optional(),
  /** Release date, YYYY-MM-DD; `created` defaults to it. */
  release_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
    .optional(),
  /** Other names hosts sell it under (beyond its id and Hugging Face id), for `agora models sync --from litellm`. */
  aliases: z.array(z.string().min(1)).optional(),
  endpoints: z.array(endpointSchema, { error: 'expected a list of endpoints' }).min(1, 'expected at least one endpoint'),
});

/** A model as an import lists it: facts, and endpoints that may be none yet (a model whose price is not fixed). */
export const listedModelSchema = modelSchema.extend({
  endpoints: z.array(endpointSchema, { error: 'expected a list of endpoints' }).default([]),
});

/** `EU` in a region list stands for the 27 member states. */
const regionCode = z
  .string()
  .regex(/^([A-Z]{2}|EU)$/, 'expected an ISO 3166 two-letter country code such as DE, or EU for the European Union');
const idList = z.array(z.string().min(1));

/**
 * A governance policy: rules that remove endpoints before routing (the strictest of all policies in
 * scope wins). `applies_to` narrows the client-region rule to some models, providers or authors.
 */
export const policySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'policy ids are lower case: a-z, 0-9, . _ and -'),
  description: z.string().max(500).optional(),
  /** `gateway` (everyone), `account:<id>` or `key:<id>`. */
  scope: z
    .string()
    .regex(/^(gateway|account:[A-Za-z0-9_-]+|key:[A-Za-z0-9_-]+)$/, 'expected gateway, account:<account id> or key:<key id>')
    .default('gateway'),
  applies_to: z.strictObject({ models: idList.optional(), providers: idList.optional(), authors: idList.optional() }).optional(),
  client_regions: z
    .strictObject({
      allow: z.array(regionCode).min(1).optional(),
      deny: z.array(regionCode).min(1).optional(),
      /** What a client whose region cannot be told gets (default: deny under an allow list, allow under a deny list). */
      unknown: z.enum(['allow', 'deny']).optional(),
    })
    .refine((rule) => (rule.allow === undefined) !== (rule.deny === undefined), 'expected either allow or deny (not both, not neither)')
    .optional(),
  /** Where the serving company may be headquartered. */
  provider_countries: z
    .strictObject({ allow: z.array(regionCode).min(1).optional(), deny: z.array(regionCode).min(1).optional() })
    .refine((rule) => (rule.allow === undefined) !== (rule.deny === undefined), 'expected either allow or deny (not both, not neither)')
    .optional(),
  /** Data residency: every data centre of the endpoint must be in these regions (an unpublished location never qualifies). */
  datacenter_regions: z.strictObject({ allow: z.array(regionCode).min(1) }).optional(),
  deny_authors: idList.optional(),
  deny_author_countries: z.array(regionCode).min(1).optional(),
  require_zdr: z.boolean().optional(),
  no_training: z.boolean().optional(),
  /** USD per 1M tokens. */
  max_price: z.strictObject({ prompt: nonNegative.optional(), completion: nonNegative.optional() }).optional(),
});

export const governanceSchema = z.strictObject({
  /** A header carrying the client's country (e.g. cf-ipcountry), trusted only from `trusted_proxies`. */
  region_header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'expected a header name')
    .optional(),
  /** Addresses or CIDRs of the proxies in front of the gateway. */
  trusted_proxies: z.array(z.string().min(1)).optional(),
  /** A MaxMind-format country database (.mmdb) for the client IP. */
  geoip_database: z.string().min(1).optional(),
  /** How often policies changed through the admin API by another instance are looked for (ms). */
  refresh_ms: positiveInt.optional(),
});

export const serverSchema = z.strictObject({
  host: z.string().optional(),
  port: z.preprocess(numeric, z.number({ error: 'expected a port number' }).int().min(0).max(65535)).optional(),
  body_limit_bytes: positiveInt.optional(),
  shutdown_grace_ms: positiveInt.optional(),
  /** Longest a client may take to send a request's headers (nginx's client_header_timeout). */
  header_timeout_ms: positiveInt.optional(),
  /** Longest a client may take to send a whole request, headers and body (a body trickled slower is cut with 408). */
  body_timeout_ms: positiveInt.optional(),
  /** Open connections one client address may hold; more are answered 429 and closed (0: no cap). */
  max_connections_per_client: z
    .preprocess(numeric, z.number({ error: 'expected a number' }).int('expected a whole number').nonnegative('expected 0 or more'))
    .optional(),
  /** Browser origins allowed by CORS (`https://app.example.com`, or `*` for any); none by default. */
  cors_origins: z
    .array(z.string().regex(/^(\*|https?:\/\/[^\s/]+)$/, 'expected an origin such as https://app.example.com, or *'))
    .optional(),
});

export const routingSchema = z.strictObject({
  /** First ejection time of an endpoint's circuit; the n-th ejection lasts n times as long. */
  ejection_base_ms: positiveInt.optional(),
  ejection_max_ms: positiveInt.optional(),
  consecutive_failures: positiveInt.optional(),
  /** Most endpoints tried for one request. */
  max_attempts: positiveInt.optional(),
  /** Consecutive requests of a conversation stay on one endpoint for this long (ms). */
  sticky_ttl_ms: positiveInt.optional(),
});

/** The OTLP/HTTP encodings the span exporter writes. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
/** What a protocol setting is expected to be (the config file's and the environment's errors). */
export const OTLP_PROTOCOL_EXPECTED = 'expected http/protobuf or http/json (spans are exported over OTLP/HTTP)';

/** Telemetry: Prometheus metrics at GET /metrics, OpenTelemetry traces over OTLP/HTTP (off without an endpoint). */
export const telemetrySchema = z.strictObject({
  metrics: z
    .strictObject({
      /** Serve GET /metrics (default true). */
      enabled: z.boolean().optional(),
      /** Ask an admin key of the scraper (default false: Prometheus scrapes without one). */
      require_key: z.boolean().optional(),
    })
    .optional(),
  /** OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (spans go to …/v1/traces); else OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlp_endpoint: httpUrl.optional(),
  /** The export's encoding: http/protobuf (the default, as OTLP exporters' is) or http/json; else OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL. */
  otlp_protocol: z.enum(OTLP_PROTOCOLS, { error: OTLP_PROTOCOL_EXPECTED }).optional(),
  /** Extra headers on every export (e.g. an authorization header); else OTEL_EXPORTER_OTLP_HEADERS. */
  otlp_headers: z.record(z.string(), z.string()).optional(),
  /** Share of requests traced (0 to 1, default 1; else OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG); a caller's traceparent decides for its request. */
  sample_ratio: z.preprocess(numeric, z.number({ error: 'expected a number from 0 to 1' }).min(0).max(1)).optional(),
  /** `service.name` of the spans (default OTEL_SERVICE_NAME, else agora). */
  service_name: z.string().min(1).optional(),
});

export const configSchema = z.strictObject({
  server: serverSchema.optional(),
  routing: routingSchema.optional(),
  /** Merge the bundled catalog of real providers and models (default true). */
  bundled_catalog: z.boolean().default(true),
  /** Merge what `agora models sync` stored in the database (default true). */
  synced_catalog: z.boolean().default(true),
  /** How often a running gateway looks for a newer synced catalog (ms; 0: only at start). */
  catalog_refresh_ms: z
    .preprocess(numeric, z.number({ error: 'expected milliseconds' }).int('expected a whole number').nonnegative('expected 0 or more'))
    .optional(),
  governance: governanceSchema.optional(),
  telemetry: telemetrySchema.optional(),
  policies: z
    .array(policySchema)
    .superRefine((policies, context) => {
      const seen = new Set<string>();
      policies.forEach((policy, index) => {
        if (seen.has(policy.id)) context.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate policy id "${policy.id}"` });
        seen.add(policy.id);
      });
    })
    .default([]),
  /** Generation records: how long they are kept (rankings' rollups are kept regardless). */
  records: z.strictObject({ retention_days: positiveInt.optional() }).optional(),
  authors: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'author ids are lower case, as in model ids'), authorSchema).default({}),
  timeouts: timeoutsSchema.optional(),
  providers: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'provider ids are lower case: a-z, 0-9, - and _'), providerSchema)
    .default({}),
  models: z
    .record(z.string().regex(MODEL_ID_PATTERN, 'model ids are lower case author/slug, e.g. deepseek/deepseek-r1'), modelSchema)
    .default({}),
});

/** What an import writes and the database holds: the config file's catalog sections, models possibly without endpoints. */
export const catalogDocumentSchema = z.strictObject({
  authors: configSchema.shape.authors,
  providers: configSchema.shape.providers,
  models: z
    .record(z.string().regex(MODEL_ID_PATTERN, 'model ids are lower case author/slug, e.g. deepseek/deepseek-r1'), listedModelSchema)
    .default({}),
});

export type ConfigFile = z.infer<typeof configSchema>;
export type CatalogDocument = z.infer<typeof catalogDocumentSchema>;
export type CatalogDocumentInput = z.input<typeof catalogDocumentSchema>;
export type AuthorFile = z.infer<typeof authorSchema>;
export type PolicyFile = z.infer<typeof policySchema>;
export type ConfigFileInput = z.input<typeof configSchema>;
export type ProviderFile = z.infer<typeof providerSchema>;
export type ModelFile = z.infer<typeof modelSchema>;
export type EndpointFile = z.infer<typeof endpointSchema>;
export type PricingFile = z.infer<typeof pricingSchema>;
export type TimeoutsFile = z.infer<typeof timeoutsSchema>;
