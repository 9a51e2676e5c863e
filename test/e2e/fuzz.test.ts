/**
 * Property-based fuzzing of the whole route table (fast-check, fixed seed: a permanent CI suite).
 *
 * Every route of `ROUTES` and `PATTERNS` (src/routes.ts) is iterated, so a route added there is
 * fuzzed without touching this file (a pattern's path is synthesized from its regex, each capture
 * group replaced by a random segment). A route's traits come from its handler: the public
 * catalog/health handlers answer without a key, the Messages handlers answer in Anthropic's error
 * shape, every other route in OpenAI's; a new handler is assumed authenticated and OpenAI-shaped.
 *
 * Properties (runs per property with the default RUNS = 300):
 *  1. certainly-invalid bodies (chat on all three upstream kinds, Anthropic Messages, embeddings):
 *     a 4xx in the route's error shape, zero upstream calls, endpoint health unchanged (900 runs);
 *  2. garbage bodies (random bytes, JSON non-objects, truncated JSON, invalid UTF-8, huge strings,
 *     deep nesting) on every POST/PATCH route: a 4xx in the route's shape, zero upstream calls (300);
 *  3. malformed headers: without a valid key every non-public route is a 401 (public ones 200 or 4xx,
 *     oversized headers 431); a bad Idempotency-Key on a model call is a 400 that calls no upstream (300 + 60);
 *  4a. random paths and percent-encodings: unknown routes 404, bad percent-encoding in a path parameter
 *     400, never a 5xx, no upstream call (300);
 *  4b. random query strings (a dictionary of the parameters routes read, values of every magnitude) on
 *     every GET and DELETE route: never a 5xx (600);
 *  5. "any JSON" mutations of every path of valid chat / Messages bodies (plausible values, any JSON,
 *     deletions, hostile objects such as {"toString": 1}, prototype-named keys): never a 5xx (the fakes
 *     never fail), a 2xx was served by an upstream, health changes only by successes (600).
 * Throughout: no 5xx, no error-level log line, no stack trace in an answer, GET /health stays 200.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { listCatalog, listEndpoints, listProviders } from '../../src/api/catalog.js';
import { chatCompletions } from '../../src/api/chat-completions.js';
import { embeddings } from '../../src/api/embeddings.js';
import { consoleAsset, consoleIndex } from '../../src/api/console.js';
import { health } from '../../src/api/health.js';
import { metricsRoute } from '../../src/api/metrics.js';
import { countTokens, messages } from '../../src/api/messages.js';
import { lineageFamilies, lineageOf } from '../../src/api/lineage.js';
import { listModels } from '../../src/api/models.js';
import { QUANTIZATIONS } from '../../src/config/schema.js';
import { PATTERNS, ROUTES } from '../../src/routes.js';
import { startAnthropicFake, type AnthropicFake } from '../fakes/anthropic-upstream.js';
import { startGeminiFake, type GeminiFake } from '../fakes/gemini-upstream.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { errorLines, healthSnapshot, MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** The fixed seed of every property (override with AGORA_FUZZ_SEED to explore). */
const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_a60a);
/** Runs per property (override with AGORA_FUZZ_RUNS). */
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 300);
/** GET /health is asked every this many runs. */
const HEALTH_EVERY = 25;
/** The gateway's body limit in this suite (small, so 413s are cheap to provoke). */
const BODY_LIMIT = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The route table, as the fuzzer sees it
// ---------------------------------------------------------------------------------------------

type Shape = 'openai' | 'anthropic' | 'openrouter';
type BodyKind = 'chat' | 'messages' | 'count_tokens' | 'embeddings' | 'other';
type AnyHandler = (...args: never[]) => unknown;

interface FuzzRoute {
  method: string;
  /** The path, or the pattern's source, for messages. */
  label: string;
  /** For exact routes: the path. */
  path?: string;
  /** For patterns: the regex and the literal text around its capture groups. */
  pattern?: RegExp;
  literals?: string[];
  isPublic: boolean;
  shape: Shape;
  body: BodyKind;
}

const PUBLIC_HANDLERS = new Set<AnyHandler>([
  consoleIndex,
  consoleAsset,
  health,
  metricsRoute,
  listModels,
  listCatalog,
  listEndpoints,
  listProviders,
  lineageFamilies,
  lineageOf,
]);
const ANTHROPIC_HANDLERS = new Set<AnyHandler>([messages, countTokens]);

function bodyKind(handler: AnyHandler): BodyKind {
  if (handler === chatCompletions) return 'chat';
  if (handler === messages) return 'messages';
  if (handler === countTokens) return 'count_tokens';
  if (handler === embeddings) return 'embeddings';
  return 'other';
}

/** `^\/api\/v1\/keys\/([^/]+)$` → ['/api/v1/keys/', ''] (the text between capture groups). */
function literalsOf(pattern: RegExp): string[] {
  const source = pattern.source.replace(/^\^/, '').replace(/\$$/, '');
  return source.split(/\((?:[^()\\]|\\.)*\)/).map((part) => part.replace(/\\(.)/g, '$1'));
}

const FUZZ_ROUTES: FuzzRoute[] = [
  ...ROUTES.map(([method, path, handler]): FuzzRoute => ({
    method,
    label: `${method} ${path}`,
    path,
    isPublic: PUBLIC_HANDLERS.has(handler as AnyHandler),
    shape: ANTHROPIC_HANDLERS.has(handler as AnyHandler) ? 'anthropic' : shapeOfPath(path),
    body: bodyKind(handler as AnyHandler),
  })),
  ...PATTERNS.map(([method, pattern, handler]): FuzzRoute => ({
    method,
    label: `${method} ${pattern.source}`,
    pattern,
    literals: literalsOf(pattern),
    isPublic: PUBLIC_HANDLERS.has(handler as AnyHandler),
    shape: ANTHROPIC_HANDLERS.has(handler as AnyHandler) ? 'anthropic' : shapeOfPath(literalsOf(pattern)[0]!),
    body: bodyKind(handler as AnyHandler),
  })),
];
const BODY_ROUTES = FUZZ_ROUTES.filter((route) => route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH');
const TABLE = new Map(ROUTES.map(([method, path]) => [`${method} ${path}`, path]));

/** A pattern route's path with `segments` in its capture groups. */
function fillPattern(route: FuzzRoute, segments: string[]): string {
  const literals = route.literals!;
  let out = literals[0]!;
  for (let index = 1; index < literals.length; index++) out += segments[index - 1]! + literals[index]!;
  return out;
}

/** What the server will do with `method path` (mirrors src/routes.ts's dispatch). */
/** The error shape of a path whatever the method: Anthropic's on the Messages paths, OpenRouter's on /api/v1/*, OpenAI's elsewhere. */
function shapeOfPath(rawPath: string): Shape {
  const path = rawPath.split('?')[0]!;
  if (path.startsWith('/api/v1/')) return 'openrouter';
  return path === '/v1/messages' || path === '/v1/messages/count_tokens' ? 'anthropic' : 'openai';
}

function dispatch(method: string, rawPath: string): { route: FuzzRoute | undefined; badEncoding: boolean } {
  const path = rawPath.split('?')[0]!;
  if (TABLE.has(`${method} ${path}`))
    return { route: FUZZ_ROUTES.find((route) => route.method === method && route.path === path), badEncoding: false };
  for (const route of FUZZ_ROUTES) {
    if (!route.pattern || route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const badEncoding = match.slice(1).some((part) => {
      try {
        decodeURIComponent(part);
        return false;
      } catch {
        return true;
      }
    });
    return { route, badEncoding };
  }
  return { route: undefined, badEncoding: false };
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const MODELS = ['test/openai', 'test/anthropic', 'test/gemini'] as const;
const KNOWN_MODELS = new Set<string>([...MODELS, 'test/embed']);
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number';

/** What the server will parse: JSON round trip (undefined → the field is absent). */
function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/** String(value) as the gateway computes it, without throwing (a hostile object makes String() throw). */
function safeString(value: unknown): string | undefined {
  try {
    return String(value);
  } catch {
    return undefined;
  }
}

/**
 * Objects that break naive code: String()/template literals throw on `{"toString": 1}`,
 * `__proto__` is an own key after JSON.parse but a prototype setter on assignment, …
 */
const THROWING_TEXTS = ['{"toString":1}', '{"valueOf":1,"toString":1}', '{"toString":"x"}', '[{"toString":1}]', '{"toString":{}}'];
const ODD_TEXTS = [
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"hasOwnProperty":1}',
  '{"toJSON":1}',
  '{"length":1000000000}',
];
const hostile: fc.Arbitrary<unknown> = fc
  .oneof({ weight: 3, arbitrary: fc.constantFrom(...THROWING_TEXTS) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_TEXTS) })
  .map((text) => JSON.parse(text) as unknown);

const EDGE_VALUES: unknown[] = [
  '',
  ' ',
  'none',
  'auto',
  'required',
  'function',
  'text',
  'user',
  'assistant',
  'tool',
  'json_schema',
  'image_url',
  'tool_use',
  'tool_result',
  0,
  -1,
  1,
  1.5,
  2,
  3,
  129,
  1e308,
  -1e308,
  2 ** 53,
  2 ** 53 + 2,
  5e-324,
  true,
  false,
  null,
  [],
  {},
  [[]],
  [null],
  [{}],
  { type: null },
  '\u0000',
  '\ud800',
  'a\u202eb',
  '%s%n%x',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  'data:image/png;base64,!!!',
  'data:;base64,',
  'x'.repeat(20_000),
];
const edge: fc.Arbitrary<unknown> = fc.constantFrom(...EDGE_VALUES);

/** Any JSON value the server could receive (never undefined). */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .anything({ maxDepth: 3, maxKeys: 4 })
      .map(toJson)
      .filter((value) => value !== undefined),
  },
  { weight: 2, arbitrary: edge },
  { weight: 2, arbitrary: hostile },
);
const where = (predicate: (value: unknown) => boolean): fc.Arbitrary<unknown> => anyJson.filter((value) => predicate(value));

const notBooleanNorNull = where((value) => typeof value !== 'boolean' && value !== null);
const notStringNorNull = where((value) => typeof value !== 'string' && value !== null);
const notString = where((value) => typeof value !== 'string');
const notObject = where((value) => !isObject(value));
const notObjectNorNull = where((value) => !isObject(value) && value !== null);
const notArray = where((value) => !Array.isArray(value));
const notArrayNorNull = where((value) => !Array.isArray(value) && value !== null);

/** A value `expectNumber(min, max, integer)` refuses: a wrong type (null passes there), out of range, or fractional. */
function badNumber(min: number, max: number, integer: boolean): fc.Arbitrary<unknown> {
  return fc.oneof(
    where((value) => typeof value !== 'number' && value !== null),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map(toJson)
      .filter((value) => isNumber(value) && (value < min || value > max || (integer && !Number.isInteger(value)))),
    fc
      .constantFrom(min - 1, max + 1, min - 0.5, max + 0.5, -1e308, 1e308)
      .map(toJson)
      .filter((value) => isNumber(value) && (value < min || value > max || (integer && !Number.isInteger(value)))),
  );
}

/** `{"a": {"a": …}}` or `[[…]]` as JSON text, `depth` containers deep. */
function nestedText(depth: number, arrays: boolean): string {
  return arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Names of Object.prototype members: a lookup `table[key]` on a plain object finds them (and `__proto__` is special everywhere). */
const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
];
const fieldKey = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('metadata', 'messages', 'tools', 'user', 'x', 'provider') },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
);

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/** A request body: an object (serialised by the test) or raw bytes / text. */
interface Case {
  label: string;
  body?: unknown;
  raw?: string;
  /** Set when the mutation is refused by the planner (not by parsing): not invalid on count_tokens. */
  planLevel?: boolean;
}

type Json = Record<string, unknown>;
const USER = { role: 'user', content: 'hi' };

const chatBase = (model: string, extra: Json = {}): Json => ({ model, messages: [{ ...USER }], ...extra });
const model = fc.constantFrom(...MODELS);

/** A mutation of a valid chat body that src/contract/chat-request.ts (or routing/preferences.ts) certainly refuses. */
function invalidChat(): fc.Arbitrary<Case> {
  const withModel = <T>(arbitrary: fc.Arbitrary<T>, build: (model: string, value: T) => Case): fc.Arbitrary<Case> =>
    fc.tuple(model, arbitrary).map(([name, value]) => build(name, value));
  const typed: Array<[string, 'string' | 'boolean' | 'object' | 'array']> = [
    ['stream', 'boolean'],
    ['stream_options', 'object'],
    ['response_format', 'object'],
    ['logit_bias', 'object'],
    ['logprobs', 'boolean'],
    ['parallel_tool_calls', 'boolean'],
    ['user', 'string'],
    ['metadata', 'object'],
    ['provider', 'object'],
    ['reasoning', 'object'],
    ['reasoning_effort', 'string'],
    ['include_reasoning', 'boolean'],
    ['usage', 'object'],
    ['tools', 'array'],
  ];
  const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  const numbers: Array<[string, number, number, boolean]> = [
    ['temperature', 0, 2, false],
    ['top_p', 0, 1, false],
    ['frequency_penalty', -2, 2, false],
    ['presence_penalty', -2, 2, false],
    ['n', 1, 128, true],
    ['max_tokens', 1, Number.MAX_SAFE_INTEGER, true],
    ['max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true],
    ['top_logprobs', 0, 20, true],
    ['seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true],
  ];
  const assistant = (fields: Json): Json => ({ role: 'assistant', content: 'x', ...fields });
  const call = (fields: Json): Json => ({ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' }, ...fields });
  const turn = (message: Json): Json[] => [{ ...USER }, message, { ...USER }];
  const badPart: fc.Arbitrary<unknown> = fc.oneof(
    where((value) => !isObject(value) || typeof value.type !== 'string'),
    where((value) => typeof value !== 'string').map((type) => ({ type, text: 'x' })),
    notString.map((text) => ({ type: 'text', text })),
    fc.constant({ type: 'text' }),
    where((value) => typeof value !== 'string' && !isObject(value)).map((image) => ({ type: 'image_url', image_url: image })),
    fc.constant({ type: 'image_url' }),
    notString.map((url) => ({ type: 'image_url', image_url: { url } })),
    notStringNorNull.map((detail) => ({ type: 'image_url', image_url: { url: 'https://example.com/a.png', detail } })),
    notObject.map((audio) => ({ type: 'input_audio', input_audio: audio })),
    notString.map((data) => ({ type: 'input_audio', input_audio: { data, format: 'wav' } })),
    notString.map((format) => ({ type: 'input_audio', input_audio: { data: 'AAAA', format } })),
    notObject.map((file) => ({ type: 'file', file })),
    fc.constant({ type: 'file' }),
    notString.map((refusal) => ({ type: 'refusal', refusal })),
  );
  const badToolCall: fc.Arbitrary<unknown> = fc.oneof(
    notObject,
    notString.map((id) => call({ id })),
    fc.constant({ type: 'function', function: { name: 'f', arguments: '{}' } }),
    where((value) => value !== 'function').map((type) => call({ type })),
    notObject.map((fn) => call({ function: fn })),
    notString.map((name) => call({ function: { name, arguments: '{}' } })),
    notStringNorNull.map((args) => call({ function: { name: 'f', arguments: args } })),
  );
  const badDetail: fc.Arbitrary<unknown> = fc.oneof(
    notObject,
    notString.map((type) => ({ type, text: 'x' })),
    fc
      .tuple(fc.constantFrom('text', 'summary', 'signature', 'data', 'format', 'id'), notStringNorNull)
      .map(([field, value]) => ({ type: 'reasoning.text', [field]: value })),
  );
  const badTool: fc.Arbitrary<unknown> = fc.oneof(
    notObject,
    where((value) => value !== 'function').map((type) => ({ type, function: { name: 'f' } })),
    notObject.map((fn) => ({ type: 'function', function: fn })),
    where((value) => typeof value !== 'string' || value === '').map((name) => ({ type: 'function', function: { name } })),
    fc.constant({ type: 'function', function: { name: '' } }),
    notStringNorNull.map((description) => ({ type: 'function', function: { name: 'f', description } })),
    notObjectNorNull.map((parameters) => ({ type: 'function', function: { name: 'f', parameters } })),
    notBooleanNorNull.map((strict) => ({ type: 'function', function: { name: 'f', strict } })),
  );
  const badToolChoice: fc.Arbitrary<unknown> = fc.oneof(
    fc.string().filter((value) => !['none', 'auto', 'required'].includes(value)),
    where((value) => typeof value !== 'string' && !isObject(value) && value !== null),
    notString.map((type) => ({ type })),
    fc.constant({}),
    notObject.map((fn) => ({ type: 'function', function: fn })),
    fc.constant({ type: 'function' }),
    notString.map((name) => ({ type: 'function', function: { name } })),
  );
  const formats = ['text', 'json_object', 'json_schema'];
  const badResponseFormat: fc.Arbitrary<unknown> = fc.oneof(
    anyJson
      .filter((type) => {
        const text = safeString(type);
        return text === undefined || !formats.includes(text);
      })
      .map((type) => ({ type })),
    fc.constant({}),
    notObject.map((schema) => ({ type: 'json_schema', json_schema: schema })),
    fc.constant({ type: 'json_schema' }),
    notStringNorNull.map((name) => ({ type: 'json_schema', json_schema: { name, schema: {} } })),
    notObjectNorNull.map((schema) => ({ type: 'json_schema', json_schema: { name: 'n', schema } })),
  );
  const efforts = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'none'];
  const badReasoning: fc.Arbitrary<unknown> = fc.oneof(
    anyJson
      .filter((effort) => {
        const text = safeString(effort);
        return text === undefined || !efforts.includes(text);
      })
      .map((effort) => ({ effort })),
    fc.tuple(fc.constantFrom(...efforts), anyJson).map(([effort, maxTokens]) => ({ effort, max_tokens: maxTokens })),
    badNumber(1, Number.MAX_SAFE_INTEGER, true).map((maxTokens) => ({ max_tokens: maxTokens })),
    fc.tuple(fc.constantFrom('exclude', 'enabled'), notBooleanNorNull).map(([flag, value]) => ({ [flag]: value })),
  );
  const lists = ['order', 'only', 'ignore'];
  const badStringList: fc.Arbitrary<unknown> = fc.oneof(
    notArrayNorNull,
    fc.array(anyJson, { minLength: 1, maxLength: 4 }).filter((items) => items.some((item) => typeof item !== 'string')),
  );
  const percentileOk = (value: unknown): boolean =>
    (isNumber(value) && value >= 0) || (isObject(value) && (isNumber(value.p50) || isNumber(value.p90)));
  const badProvider: fc.Arbitrary<unknown> = fc.oneof(
    fc
      .tuple(
        fieldKey.filter(
          (key) =>
            ![
              'order',
              'only',
              'ignore',
              'allow_fallbacks',
              'require_parameters',
              'data_collection',
              'zdr',
              'quantizations',
              'sort',
              'max_price',
              'preferred_min_throughput',
              'preferred_max_latency',
            ].includes(key),
        ),
        anyJson,
      )
      .map(([key, value]) => ({ [key]: value })),
    where((value) => value !== null && value !== 'allow' && value !== 'deny').map((value) => ({ data_collection: value })),
    where(
      (value) =>
        value !== null && !isObject(value) && !Array.isArray(value) && !['price', 'throughput', 'latency'].includes(value as string),
    ).map((sort) => ({ sort })),
    where((value) => value !== null && !['price', 'throughput', 'latency'].includes(value as string)).map((by) => ({ sort: { by } })),
    badStringList.map((value) => ({ quantizations: value })),
    fc
      .string({ maxLength: 8 })
      .filter((item) => !(QUANTIZATIONS as readonly string[]).includes(item.toLowerCase()))
      .map((item) => ({ quantizations: ['fp8', item] })),
    fc.tuple(fc.constantFrom(...lists), badStringList).map(([field, value]) => ({ [field]: value })),
    fc
      .tuple(fc.constantFrom('allow_fallbacks', 'require_parameters', 'zdr'), notBooleanNorNull)
      .map(([field, value]) => ({ [field]: value })),
    notObjectNorNull.map((value) => ({ max_price: value })),
    fc
      .tuple(
        fieldKey.filter((key) => !['prompt', 'completion', 'request'].includes(key)),
        anyJson,
      )
      .map(([key, value]) => ({ max_price: { [key]: value } })),
    fc
      .tuple(
        fc.constantFrom('prompt', 'completion', 'request'),
        where((value) => !isNumber(value) || value < 0),
      )
      .map(([key, value]) => ({ max_price: { [key]: value } })),
    fc
      .tuple(
        fc.constantFrom('preferred_min_throughput', 'preferred_max_latency'),
        where((value) => value !== null && !percentileOk(value)),
      )
      .map(([field, value]) => ({ [field]: value })),
  );
  const deep = fc
    .tuple(model, fc.oneof(fieldKey, fc.constant('messages[0].content')), fc.integer({ min: 64, max: 3_000 }), fc.boolean())
    .map(([name, field, depth, arrays]): Case => {
      const placeholder = '"@@DEEP@@"';
      const body =
        field === 'messages[0].content'
          ? { model: name, messages: [{ role: 'user', content: '@@DEEP@@' }] }
          : { ...chatBase(name), [field]: '@@DEEP@@' };
      return { label: `nesting ${depth} at ${field}`, raw: JSON.stringify(body).replace(placeholder, nestedText(depth, arrays)) };
    });

  return fc.oneof(
    // model / models
    withModel(
      where((value) => typeof value !== 'string' || value === ''),
      (_, value) => ({ label: 'model', body: { ...chatBase('x'), model: value } }),
    ),
    fc.constant<Case>({ label: 'no model', body: { messages: [{ ...USER }] } }),
    fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((name) => !KNOWN_MODELS.has(name.replace(/:(nitro|floor)$/, '')))
      .map((name): Case => ({ label: 'unknown model', body: chatBase(name), planLevel: true })),
    withModel(fc.constant('test/embed'), (_, name) => ({ label: 'embedding model on chat', body: chatBase(name), planLevel: true })),
    withModel(
      fc.oneof(
        notArray,
        fc.array(anyJson, { minLength: 1, maxLength: 4 }).filter((items) => items.some((item) => typeof item !== 'string' || item === '')),
        fc.array(fc.constantFrom(...MODELS), { minLength: 33, maxLength: 40 }),
      ),
      (name, models) => ({ label: 'models', body: chatBase(name, { models }) }),
    ),
    // messages
    withModel(notArray, (name, value) => ({ label: 'messages', body: { model: name, messages: value } })),
    withModel(fc.constant(null), (name) => ({ label: 'no messages', body: { model: name } })),
    withModel(fc.constant([]), (name) => ({ label: 'messages []', body: { model: name, messages: [] } })),
    withModel(fc.tuple(notObject, fc.nat(2)), (name, [item, at]) => {
      const list: unknown[] = [{ ...USER }, { ...USER }];
      list.splice(at, 0, item);
      return { label: 'messages[i] not an object', body: { model: name, messages: list } };
    }),
    withModel(
      where((value) => typeof value !== 'string' || !ROLES.includes(value)),
      (name, role) => ({ label: 'role', body: { model: name, messages: [{ role, content: 'hi' }] } }),
    ),
    withModel(
      fc.oneof(
        where((value) => typeof value !== 'string' && !Array.isArray(value)),
        fc.constant(undefined),
      ),
      (name, content) => ({ label: 'user content', body: { model: name, messages: [{ role: 'user', content }] } }),
    ),
    withModel(badPart, (name, part) => ({
      label: 'content part',
      body: { model: name, messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, part] }] },
    })),
    withModel(fc.tuple(fc.constantFrom(...ROLES.filter((role) => role !== 'tool')), notStringNorNull), (name, [role, value]) => ({
      label: 'message name',
      body: { model: name, messages: turn({ role, content: 'x', name: value }) },
    })),
    withModel(fc.oneof(notString, fc.constant(undefined)), (name, id) => ({
      label: 'tool_call_id',
      body: { model: name, messages: turn({ role: 'tool', content: 'x', tool_call_id: id }) },
    })),
    withModel(notArrayNorNull, (name, calls) => ({
      label: 'tool_calls',
      body: { model: name, messages: turn(assistant({ tool_calls: calls })) },
    })),
    withModel(badToolCall, (name, bad) => ({
      label: 'tool_calls[i]',
      body: { model: name, messages: turn(assistant({ tool_calls: [call({}), bad] })) },
    })),
    withModel(notObjectNorNull, (name, value) => ({
      label: 'function_call',
      body: { model: name, messages: turn(assistant({ function_call: value })) },
    })),
    withModel(fc.tuple(fc.constantFrom('reasoning', 'reasoning_content', 'refusal'), notStringNorNull), (name, [field, value]) => ({
      label: `assistant ${field}`,
      body: { model: name, messages: turn(assistant({ [field]: value })) },
    })),
    withModel(notArrayNorNull, (name, value) => ({
      label: 'reasoning_details',
      body: { model: name, messages: turn(assistant({ reasoning_details: value })) },
    })),
    withModel(badDetail, (name, value) => ({
      label: 'reasoning_details[i]',
      body: { model: name, messages: turn(assistant({ reasoning_details: [value] })) },
    })),
    // typed fields
    withModel(
      fc
        .constantFrom(...typed)
        .chain(([field, expected]) => anyJson.filter((value) => typeName(value) !== expected).map((value) => [field, value] as const)),
      (name, [field, value]) => ({ label: field, body: chatBase(name, { [field]: value }) }),
    ),
    withModel(
      fc
        .constantFrom(...numbers)
        .chain(([field, min, max, integer]) => badNumber(min, max, integer).map((value) => [field, value] as const)),
      (name, [field, value]) => ({ label: field, body: chatBase(name, { [field]: value }) }),
    ),
    withModel(badTool, (name, tool) => ({
      label: 'tools[i]',
      body: chatBase(name, { tools: [{ type: 'function', function: { name: 'g' } }, tool] }),
    })),
    withModel(
      where(
        (value) =>
          value !== null && typeof value !== 'string' && !(Array.isArray(value) && value.every((item) => typeof item === 'string')),
      ),
      (name, stop) => ({ label: 'stop', body: chatBase(name, { stop }) }),
    ),
    withModel(badToolChoice, (name, choice) => ({
      label: 'tool_choice',
      body: chatBase(name, { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: choice }),
    })),
    withModel(badResponseFormat, (name, format) => ({ label: 'response_format', body: chatBase(name, { response_format: format }) })),
    withModel(hostile, (name, type) => ({ label: 'response_format.type hostile', body: chatBase(name, { response_format: { type } }) })),
    withModel(hostile, (name, effort) => ({ label: 'reasoning.effort hostile', body: chatBase(name, { reasoning: { effort } }) })),
    withModel(
      where((value) => typeof value !== 'boolean'),
      (name, value) => ({
        label: 'stream_options.include_usage',
        body: chatBase(name, { stream: true, stream_options: { include_usage: value } }),
      }),
    ),
    withModel(badReasoning, (name, reasoning) => ({ label: 'reasoning', body: chatBase(name, { reasoning }) })),
    withModel(badProvider, (name, provider) => ({ label: 'provider', body: chatBase(name, { provider }), planLevel: true })),
    deep,
  );
}

const messagesBase = (model: string, extra: Json = {}): Json => ({
  model,
  max_tokens: 16,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
const ANTHROPIC_KNOWN = [
  'model',
  'messages',
  'system',
  'max_tokens',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'service_tier',
  'container',
  'mcp_servers',
  'models',
  'provider',
];

/** A mutation of a valid Anthropic Messages body that src/surfaces/anthropic/parse-messages.ts certainly refuses. */
function invalidMessages(countTokensRoute: boolean): fc.Arbitrary<Case> {
  const withModel = <T>(arbitrary: fc.Arbitrary<T>, build: (model: string, value: T) => Case): fc.Arbitrary<Case> =>
    fc.tuple(model, arbitrary).map(([name, value]) => build(name, value));
  const blockTypes = ['text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'];
  const okSource = (value: unknown): boolean =>
    isObject(value) &&
    ((value.type === 'base64' && typeof value.data === 'string' && typeof value.media_type === 'string') ||
      (value.type === 'url' && typeof value.url === 'string'));
  const badBlock: fc.Arbitrary<unknown> = fc.oneof(
    notObject,
    where((value) => !blockTypes.includes(value as string)).map((type) => ({ type, text: 'x' })),
    fc.constant({ text: 'x' }),
    notString.map((text) => ({ type: 'text', text })),
    where((value) => !okSource(value)).map((source) => ({ type: 'image', source })),
    fc.constant({ type: 'image' }),
    fc.constant({ type: 'tool_use', id: 't1', name: 'f', input: {} }), // in a user turn
  );
  const badToolResult: fc.Arbitrary<unknown> = fc.oneof(
    where((value) => typeof value !== 'string' && !Array.isArray(value)).map((content) => ({
      type: 'tool_result',
      tool_use_id: 't1',
      content,
    })),
    where((value) => !isObject(value) || value.type !== 'text' || typeof value.text !== 'string').map((block) => ({
      type: 'tool_result',
      tool_use_id: 't1',
      content: [block],
    })),
  );
  const badSystem: fc.Arbitrary<unknown> = fc.oneof(
    where((value) => typeof value !== 'string' && !Array.isArray(value)),
    where((value) => !isObject(value) || value.type !== 'text' || typeof value.text !== 'string').map((block) => [block]),
  );
  const badTool: fc.Arbitrary<unknown> = fc.oneof(
    where((value) => !isObject(value) || typeof value.name !== 'string'),
    where((value) => value !== 'custom').map((type) => ({ type, name: 'f', input_schema: { type: 'object' } })),
  );
  const badToolChoice: fc.Arbitrary<unknown> = fc.oneof(
    notObject,
    where((value) => !['auto', 'any', 'tool', 'none'].includes(value as string)).map((type) => ({ type })),
    fc.constant({}),
  );
  const cases: Array<fc.Arbitrary<Case>> = [
    withModel(
      fc.tuple(
        fieldKey.filter((key) => !ANTHROPIC_KNOWN.includes(key)),
        anyJson,
      ),
      (name, [key, value]) => ({ label: 'unknown field', body: { ...messagesBase(name), [key]: value } }),
    ),
    withModel(fc.tuple(fc.constantFrom('container', 'mcp_servers'), anyJson), (name, [key, value]) => ({
      label: key,
      body: { ...messagesBase(name), [key]: value },
    })),
    withModel(fc.oneof(notArray, fc.constant([])), (name, value) => ({
      label: 'messages',
      body: { ...messagesBase(name), messages: value },
    })),
    withModel(notObject, (name, value) => ({
      label: 'messages[i]',
      body: { ...messagesBase(name), messages: [{ role: 'user', content: 'a' }, value] },
    })),
    withModel(
      where((value) => value !== 'user' && value !== 'assistant'),
      (name, role) => ({ label: 'role', body: { ...messagesBase(name), messages: [{ role, content: 'hi' }] } }),
    ),
    withModel(
      fc.oneof(
        where((value) => typeof value !== 'string' && !Array.isArray(value)),
        fc.constant(undefined),
      ),
      (name, content) => ({ label: 'content', body: { ...messagesBase(name), messages: [{ role: 'user', content }] } }),
    ),
    withModel(badBlock, (name, block) => ({
      label: 'content block',
      body: { ...messagesBase(name), messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, block] }] },
    })),
    withModel(badToolResult, (name, block) => ({
      label: 'tool_result',
      body: { ...messagesBase(name), messages: [{ role: 'user', content: [block] }] },
    })),
    withModel(fc.constant(null), (name) => ({
      label: 'tool_result in an assistant turn',
      body: {
        ...messagesBase(name),
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] },
        ],
      },
    })),
    withModel(badSystem, (name, system) => ({ label: 'system', body: messagesBase(name, { system }) })),
    withModel(notArray, (name, tools) => ({ label: 'tools', body: messagesBase(name, { tools }) })),
    withModel(badTool, (name, tool) => ({
      label: 'tools[i]',
      body: messagesBase(name, { tools: [{ name: 'g', input_schema: { type: 'object' } }, tool] }),
    })),
    withModel(badToolChoice, (name, choice) => ({ label: 'tool_choice', body: messagesBase(name, { tool_choice: choice }) })),
    withModel(
      fc
        .constantFrom(['temperature', 2] as const, ['top_p', 1] as const)
        .chain(([field, max]) => badNumber(0, max, false).map((value) => [field, value] as const)),
      (name, [field, value]) => ({ label: field, body: messagesBase(name, { [field]: value }) }),
    ),
    withModel(
      where(
        (value) =>
          value !== null && typeof value !== 'string' && !(Array.isArray(value) && value.every((item) => typeof item === 'string')),
      ),
      (name, stop) => ({ label: 'stop_sequences', body: messagesBase(name, { stop_sequences: stop }) }),
    ),
    withModel(badNumber(1, Number.MAX_SAFE_INTEGER, true).filter(isNumber), (name, budget) => ({
      label: 'thinking.budget_tokens',
      body: messagesBase(name, { thinking: { type: 'enabled', budget_tokens: budget } }),
    })),
    fc
      .tuple(
        where((value) => typeof value !== 'string' || value === ''),
        fc.boolean(),
      )
      .map(([value, absent]): Case => ({
        label: 'model',
        body: absent ? { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] } : messagesBase('x', { model: value }),
      })),
    withModel(
      fc.oneof(
        notArray,
        fc.array(anyJson, { minLength: 1, maxLength: 3 }).filter((items) => items.some((item) => typeof item !== 'string' || item === '')),
      ),
      (name, models) => ({ label: 'models', body: messagesBase(name, { models }) }),
    ),
    withModel(notObject, (name, provider) => ({ label: 'provider type', body: messagesBase(name, { provider }) })),
    fc.tuple(model, fc.integer({ min: 64, max: 2_000 }), fc.boolean()).map(([name, depth, arrays]): Case => ({
      label: `nesting ${depth}`,
      raw: JSON.stringify(messagesBase(name, { metadata: '@@DEEP@@' })).replace('"@@DEEP@@"', nestedText(depth, arrays)),
    })),
  ];
  if (!countTokensRoute) {
    // count_tokens sets max_tokens itself and never plans, so these are valid there.
    cases.push(
      withModel(
        fc.oneof(
          where((value) => !isNumber(value) || !Number.isInteger(value) || value < 1),
          badNumber(1, Number.MAX_SAFE_INTEGER, true)
            .filter(isNumber)
            .filter((value) => value < 1 || !Number.isInteger(value)),
        ),
        (name, value) => ({ label: 'max_tokens', body: { ...messagesBase(name), max_tokens: value } }),
      ),
      withModel(fc.constant(null), (name) => ({
        label: 'no max_tokens',
        body: { model: name, messages: [{ role: 'user', content: 'hi' }] },
      })),
      fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((name) => !KNOWN_MODELS.has(name.replace(/:(nitro|floor)$/, '')))
        .map((name): Case => ({ label: 'unknown model', body: messagesBase(name), planLevel: true })),
    );
  }
  return fc.oneof(...cases);
}

/** A mutation of a valid embeddings body that parseEmbeddingRequest (or the planner) certainly refuses. */
function invalidEmbedding(): fc.Arbitrary<Case> {
  const base = (extra: Json = {}): Json => ({ model: 'test/embed', input: 'x', ...extra });
  const validInput = (input: unknown): boolean =>
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((item) => typeof item === 'string') ||
        input.every(isNumber) ||
        input.every((item) => Array.isArray(item) && item.every(isNumber))));
  return fc.oneof(
    where((value) => typeof value !== 'string' || value === '').map((value): Case => ({ label: 'model', body: base({ model: value }) })),
    fc.constant<Case>({ label: 'no model', body: { input: 'x' } }),
    fc.constant<Case>({ label: 'chat model on embeddings', body: base({ model: 'test/openai' }), planLevel: true }),
    fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((name) => !KNOWN_MODELS.has(name.replace(/:(nitro|floor)$/, '')))
      .map((name): Case => ({ label: 'unknown model', body: base({ model: name }), planLevel: true })),
    fc.constant<Case>({ label: 'no input', body: { model: 'test/embed' } }),
    fc
      .oneof(
        where((value) => !validInput(value)),
        fc.array(anyJson, { minLength: 2, maxLength: 4 }).filter((value) => !validInput(value)),
      )
      .map((input): Case => ({ label: 'input', body: base({ input }) })),
    where((value) => value !== 'float' && value !== 'base64').map((format): Case => ({
      label: 'encoding_format',
      body: base({ encoding_format: format }),
    })),
    badNumber(1, 65_536, true).map((dimensions): Case => ({ label: 'dimensions', body: base({ dimensions }) })),
    where((value) => !isObject(value) && value !== null).map((provider): Case => ({
      label: 'provider',
      body: base({ provider }),
      planLevel: true,
    })),
    fc.tuple(fc.integer({ min: 64, max: 2_000 }), fc.boolean()).map(([depth, arrays]): Case => ({
      label: `nesting ${depth}`,
      raw: JSON.stringify(base({ user: '@@DEEP@@' })).replace('"@@DEEP@@"', nestedText(depth, arrays)),
    })),
  );
}

/** Bodies that are not a JSON object at all (or not JSON). */
function garbage(): fc.Arbitrary<{ label: string; bytes: Buffer }> {
  const notAnObject = (bytes: Buffer): boolean => {
    try {
      return !isObject(JSON.parse(bytes.toString('utf8')));
    } catch {
      return true;
    }
  };
  const valid = JSON.stringify(
    chatBase('test/openai', { temperature: 0.5, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }),
  );
  const text = (label: string, arbitrary: fc.Arbitrary<string>): fc.Arbitrary<{ label: string; bytes: Buffer }> =>
    arbitrary.map((value) => ({ label, bytes: Buffer.from(value, 'utf8') }));
  return fc
    .oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ label: 'random bytes', bytes: Buffer.from(bytes) })),
      text(
        'JSON non-object',
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((value) => !isObject(value))
          .map((value) => JSON.stringify(value)),
      ),
      text(
        'truncated JSON',
        fc.integer({ min: 0, max: valid.length - 1 }).map((end) => valid.slice(0, end)),
      ),
      fc
        .tuple(
          fc.integer({ min: 0, max: 12 }),
          fc.constantFrom([0xff], [0xfe, 0xff], [0xc3], [0xe0, 0xa4], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80]),
        )
        .map(([at, bad]) => ({
          label: 'invalid UTF-8 outside strings',
          bytes: Buffer.concat([Buffer.from(valid.slice(0, at)), Buffer.from(bad), Buffer.from(valid.slice(at))]),
        })),
      fc
        .constantFrom(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff]))
        .map((bom) => ({ label: 'byte order mark', bytes: Buffer.concat([bom, Buffer.from(valid)]) })),
      text(
        'huge string',
        fc
          .tuple(fc.integer({ min: 10_000, max: BODY_LIMIT + 200_000 }), fc.boolean())
          .map(([length, quoted]) => (quoted ? `"${'x'.repeat(length)}"` : 'x'.repeat(length))),
      ),
      text(
        'deep arrays',
        fc.integer({ min: 1, max: 5_000 }).map((depth) => nestedText(depth, true)),
      ),
      text(
        'deep objects as a value',
        fc.integer({ min: 1, max: 5_000 }).map((depth) => `[${nestedText(depth, false)}]`),
      ),
      fc
        .constantFrom(
          '',
          ' ',
          '\n',
          'null',
          '[]',
          '""',
          '0',
          'true',
          '{',
          '}',
          '{"a":',
          '{"model":"test/openai",}',
          "{'model': 'x'}",
          '{"model":"test/openai"}garbage',
          'NaN',
          '[1,2',
          '\u0000',
          '{"a":1}{"b":2}',
        )
        .map((value) => ({ label: 'classic', bytes: Buffer.from(value) })),
    )
    .filter((item) => notAnObject(item.bytes));
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A stack frame (`at fn (/src/file.ts:12:3)`, `at file:///x.js:1:2`), `node:internal`, or a multi-line `    at` trace. */
const STACK = /\bat\s[^\n]*?\(?(?:file:\/\/)?[\w./\\-]*\.(?:ts|js|mjs|cjs)(?::\d+){1,2}\)?|node:internal|\n\s+at\s/;

describe('fuzzing every route (fast-check)', () => {
  let openai: FakeUpstream;
  let anthropic: AnthropicFake;
  let gemini: GeminiFake;
  let gateway: TestGateway;
  let port: number;
  let userKey: string;
  let logCursor = 0;
  const agent = new Agent({ keepAlive: false });

  beforeAll(async () => {
    console.log(`[fuzz] seed=${SEED} runs=${RUNS} routes=${FUZZ_ROUTES.map((route) => route.label).join(' | ')}`);
    openai = await startFakeUpstream();
    anthropic = await startAnthropicFake();
    gemini = await startGeminiFake();
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000 }
server: { body_limit_bytes: ${BODY_LIMIT} }
providers:
  acme: { base_url: ${openai.url}, api_key_env: ACME_TEST_KEY }
  claude: { type: anthropic, base_url: ${anthropic.url}, api_key_env: ACME_TEST_KEY }
  google: { type: gemini, base_url: ${gemini.url}, api_key_env: ACME_TEST_KEY }
models:
  test/openai:
    endpoints:
      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 1 } }
  test/anthropic:
    endpoints:
      - { provider: claude, model: ok, pricing: { prompt: 1, completion: 1 } }
  test/gemini:
    endpoints:
      - { provider: google, model: ok, pricing: { prompt: 1, completion: 1 } }
  test/embed:
    kind: embedding
    endpoints:
      - { provider: acme, model: embed, pricing: { prompt: 1, completion: 0 } }
`,
    });
    port = Number(new URL(gateway.url).port);
    userKey = await gateway.createKey('fuzz-user');
    // Every synthesized pattern path must reach its own route.
    for (const route of FUZZ_ROUTES.filter((item) => item.pattern)) {
      const path = fillPattern(
        route,
        route.literals!.slice(1).map(() => 'seg'),
      );
      expect(dispatch(route.method, path).route, `cannot synthesize a path for ${route.label}`).toBe(route);
    }
    // Health entries are created on first use (a plan, or the endpoints route); create them all now so
    // that the snapshots compare the same set of endpoints.
    for (const id of KNOWN_MODELS) {
      const [author, slug] = id.split('/');
      expect((await send('GET', `/api/v1/models/${author}/${slug}/endpoints`)).status).toBe(200);
    }
  });
  afterAll(async () => {
    agent.destroy();
    await gateway?.close();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
  });

  beforeEach(() => resetSummary());

  const upstreamCalls = (): number => openai.requests.length + anthropic.requests.length + gemini.requests.length;

  /** Starts a run: log lines written before it (by an earlier, failed run) are not blamed on it. */
  function beginRun(): void {
    logCursor = gateway.logs.length;
  }

  /** Error-level log lines written since the last call. */
  function newErrorLines(): string[] {
    const lines = gateway.logs.slice(logCursor).filter((line) => line.includes('"level":"error"'));
    logCursor = gateway.logs.length;
    return lines;
  }

  /** One raw HTTP/1.1 request (node:http sends the path and latin-1 header values as given). */
  function send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) },
      });
      let answered = false;
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const done = (): void => {
          if (answered) return;
          answered = true;
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
        };
        response.on('end', done);
        response.on('error', done); // the server closed after answering (413 on a body still being sent)
      });
      // A write error after the answer arrived (EPIPE while the rest of a refused body is sent) is not a failure.
      outgoing.on('error', (error) => {
        if (!answered) setTimeout(() => (answered ? undefined : reject(error)), 50);
      });
      outgoing.end(body);
    });
  }

  /** The route's error shape, a non-empty message and no stack trace. */
  function expectErrorShape(shape: Shape, answer: Answer, context: string): void {
    let json: any;
    try {
      json = JSON.parse(answer.text);
    } catch {
      throw new Error(`${context}: ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`);
    }
    if (shape === 'anthropic') {
      expect(json, context).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    } else if (shape === 'openrouter') {
      // OpenRouter's documented error: the HTTP status as a number, Agora's string reason in the metadata.
      expect(json?.error, context).toMatchObject({
        code: answer.status,
        message: expect.any(String),
        metadata: { error_type: expect.any(String), reason: expect.any(String) },
      });
      expect(json.error.param === null || typeof json.error.param === 'string', `${context}: error.param`).toBe(true);
    } else {
      expect(json?.error, context).toMatchObject({ message: expect.any(String), type: expect.any(String) });
      expect('code' in json.error && 'param' in json.error, `${context}: error.code and error.param present`).toBe(true);
      expect(json.error.param === null || typeof json.error.param === 'string', `${context}: error.param`).toBe(true);
    }
    expect(json.error.message.length, `${context}: empty message`).toBeGreaterThan(0);
    expect(STACK.test(json.error.message), `${context}: stack trace in ${json.error.message}`).toBe(false);
    expect(STACK.test(answer.text), `${context}: stack trace in the body`).toBe(false);
  }

  /** Never a 5xx, never an error log line; every HEALTH_EVERY runs, GET /health is 200. */
  let runs = 0;
  let statuses = new Map<number, number>();
  const resetSummary = (): void => {
    statuses = new Map();
  };
  function summary(name: string): void {
    const counts = [...statuses.entries()]
      .sort(([left], [right]) => left - right)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    console.log(`[fuzz] ${name}: ${counts}`);
    statuses = new Map();
  }
  async function checkAlive(answer: Answer, context: string): Promise<void> {
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
    expect(newErrorLines(), context).toEqual([]);
    if (++runs % HEALTH_EVERY === 0) expect((await send('GET', '/health')).status).toBe(200);
  }

  const options = <T>(runsOverride?: number): fc.Parameters<T> => ({ seed: SEED, numRuns: runsOverride ?? RUNS });
  const key = fc
    .constantFrom(
      () => MASTER_KEY,
      () => userKey,
    )
    .map((pick) => pick());
  const concrete = (route: FuzzRoute): fc.Arbitrary<string> =>
    route.pattern
      ? fc
          .array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,16}$/), {
            minLength: route.literals!.length - 1,
            maxLength: route.literals!.length - 1,
          })
          .map((segments) => fillPattern(route, segments))
      : fc.constant(route.path!);

  function bodyFor(item: Case): Buffer {
    if (item.raw?.includes('@@DEEP@@')) throw new Error(`the nesting placeholder was not replaced: ${item.raw.slice(0, 200)}`);
    return Buffer.from(item.raw ?? JSON.stringify(item.body), 'utf8');
  }

  it("property 1: certainly-invalid bodies are a 4xx in the route's shape, call no upstream and leave health as it was", async () => {
    const routes = BODY_ROUTES.filter((route) => route.body !== 'other');
    expect(routes.length).toBeGreaterThanOrEqual(4);
    // Runs are shared by how much each route's validator checks (chat checks the most).
    const weight: Record<BodyKind, number> = { chat: 4, messages: 3, count_tokens: 2, embeddings: 1, other: 0 };
    const cases = fc.oneof(...routes.map((route) => ({ weight: weight[route.body], arbitrary: fc.constant(route) }))).chain((route) => {
      const generator =
        route.body === 'chat'
          ? invalidChat()
          : route.body === 'embeddings'
            ? invalidEmbedding()
            : invalidMessages(route.body === 'count_tokens');
      return fc.tuple(fc.constant(route), generator, key);
    });
    const before = healthSnapshot(gateway);
    await fc.assert(
      fc.asyncProperty(cases, async ([route, item, apiKey]) => {
        beginRun();
        const calls = upstreamCalls();
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          ...(route.shape === 'anthropic' && apiKey === userKey ? { 'x-api-key': apiKey } : { authorization: `Bearer ${apiKey}` }),
        };
        const answer = await send(route.method, route.path!, headers, bodyFor(item));
        const context = `${route.label} [${item.label}]`;
        await checkAlive(answer, context);
        expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expectErrorShape(route.shape, answer, context);
        expect(upstreamCalls(), `${context}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${context}: health changed`).toEqual(before);
      }),
      options(RUNS * 3),
    );
    summary('property 1');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  it("property 2: garbage bodies on every POST/PATCH route are a 4xx in the route's shape and call no upstream", async () => {
    const cases = fc.tuple(
      fc.constantFrom(...BODY_ROUTES).chain((route) => fc.tuple(fc.constant(route), concrete(route))),
      garbage(),
      key,
      fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        '',
      ),
    );
    const before = healthSnapshot(gateway);
    await fc.assert(
      fc.asyncProperty(cases, async ([[route, path], item, apiKey, contentType]) => {
        beginRun();
        const calls = upstreamCalls();
        const answer = await send(
          route.method,
          path,
          { authorization: `Bearer ${apiKey}`, ...(contentType ? { 'content-type': contentType } : {}) },
          item.bytes,
        );
        const context = `${route.method} ${path} [${item.label}, ${item.bytes.length} bytes]`;
        await checkAlive(answer, context);
        expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expectErrorShape(route.shape, answer, context);
        expect(upstreamCalls(), `${context}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${context}: health changed`).toEqual(before);
      }),
      options(),
    );
    summary('property 2');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  it('property 3: without a valid key every non-public route is a 401; a bad Idempotency-Key on a model call is a 400', async () => {
    const latin1 = fc.string({
      unit: fc.integer({ min: 0xa0, max: 0xff }).map((code) => String.fromCharCode(code)),
      minLength: 1,
      maxLength: 40,
    });
    const token = fc.oneof(
      fc.string({ minLength: 1, maxLength: 80 }).map((value) => value.replace(/\s/g, '_')),
      latin1,
      fc.constantFrom(`${MASTER_KEY}x`, MASTER_KEY.slice(0, -1), MASTER_KEY.toUpperCase(), 'sk-agora-', 'null', 'undefined'),
      fc.integer({ min: 257, max: 6_000 }).map((length) => 'k'.repeat(length)),
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('Bearer', 'Bearer ', 'bearer', 'Token', '', ' ', 'Bearer\t', `Basic ${Buffer.from('user:pass').toString('base64')}`),
      token.map((value) => `Bearer ${value}`),
      token.map((value) => `bEaReR    ${value}   `),
      token.map((value) => `Basic ${value}`),
      token.map((value) => `Bearer ${value} ${value}`),
      latin1.map((value) => `${value} ${value}`),
      fc.string({ maxLength: 60 }),
      fc.constant(`Bearer ${'x'.repeat(20_000)}`), // past Node's 16 KiB header limit: 431
    );
    const headerCase = fc.record({
      authorization,
      apiKey: fc.option(fc.oneof(token, fc.constant(''), fc.constant(' '))),
      contentType: fc.option(
        fc.oneof(
          fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=utf-16', 'multipart/form-data', '*/*'),
          fc.string({ maxLength: 30 }),
          latin1,
        ),
      ),
      idempotency: fc.option(
        fc.oneof(
          fc.constant(''),
          fc.integer({ min: 256, max: 2_000 }).map((length) => 'i'.repeat(length)),
          latin1,
        ),
      ),
      extra: fc.option(
        fc.tuple(
          fc.constantFrom('x-title', 'http-referer', 'anthropic-version', 'x-stainless-os', 'origin', 'accept'),
          fc.oneof(latin1, fc.string({ maxLength: 60 })),
        ),
      ),
    });
    const validKeys = new Set([MASTER_KEY, userKey]);
    const noValidKey = (value: string | undefined): boolean => value === undefined || !validKeys.has(value.trim());
    const cases = fc
      .tuple(
        fc.constantFrom(...FUZZ_ROUTES).chain((route) => fc.tuple(fc.constant(route), concrete(route))),
        headerCase,
      )
      .filter(([, item]) => noValidKey(item.apiKey ?? undefined) && noValidKey(item.authorization?.replace(/^bearer\s+/i, '')));
    const before = healthSnapshot(gateway);
    const validBody = (route: FuzzRoute): Buffer | undefined => {
      if (route.method === 'GET' || route.method === 'DELETE') return undefined;
      if (route.body === 'chat') return Buffer.from(JSON.stringify(chatBase('test/openai')));
      if (route.body === 'messages' || route.body === 'count_tokens') return Buffer.from(JSON.stringify(messagesBase('test/anthropic')));
      if (route.body === 'embeddings') return Buffer.from(JSON.stringify({ model: 'test/embed', input: 'x' }));
      return Buffer.from('{"name":"fuzz"}');
    };
    await fc.assert(
      fc.asyncProperty(cases, async ([[route, path], item]) => {
        beginRun();
        const calls = upstreamCalls();
        const headers: Record<string, string> = {};
        if (item.authorization !== undefined) headers.authorization = item.authorization;
        if (item.apiKey !== null) headers['x-api-key'] = item.apiKey;
        if (item.contentType !== null) headers['content-type'] = item.contentType;
        if (item.idempotency !== null) headers['idempotency-key'] = item.idempotency;
        if (item.extra !== null) headers[item.extra[0]] = item.extra[1];
        const answer = await send(route.method, path, headers, validBody(route));
        const context = `${route.method} ${path} ${JSON.stringify({ ...headers, authorization: headers.authorization?.slice(0, 80) })}`;
        await checkAlive(answer, context);
        const headerBytes = Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
        if (headerBytes > 16 * 1024) {
          // Past Node's 16 KiB header limit: answered from the HTTP parser's error handler, still in the route's shape.
          expect(answer.status, context).toBe(431);
          expectErrorShape(route.shape, answer, context);
        } else if (route.isPublic) {
          expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${context}: ${answer.status}`).toBe(true);
          if (answer.status >= 400) expectErrorShape(route.shape, answer, context);
        } else {
          expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBe(401);
          expectErrorShape(route.shape, answer, context);
        }
        expect(upstreamCalls(), `${context}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${context}: health changed`).toEqual(before);
      }),
      options(),
    );

    // With a valid key and a valid body, an empty or over-long Idempotency-Key is refused before any upstream call.
    const modelRoutes = BODY_ROUTES.filter((route) => route.body === 'chat' || route.body === 'messages');
    const idempotency = fc.tuple(
      fc.constantFrom(...modelRoutes),
      fc.oneof(
        fc.constant(''),
        fc.integer({ min: 256, max: 4_000 }).map((length) => 'i'.repeat(length)),
      ),
      model,
      key,
    );
    await fc.assert(
      fc.asyncProperty(idempotency, async ([route, value, name, apiKey]) => {
        beginRun();
        const calls = upstreamCalls();
        const body = route.body === 'chat' ? chatBase(name) : messagesBase(name);
        const answer = await send(
          route.method,
          route.path!,
          { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': value },
          Buffer.from(JSON.stringify(body)),
        );
        const context = `${route.label} Idempotency-Key of ${value.length} characters`;
        await checkAlive(answer, context);
        expect(answer.status, context).toBe(400);
        expectErrorShape(route.shape, answer, context);
        expect(upstreamCalls(), `${context}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${context}: health changed`).toEqual(before);
      }),
      options(Math.max(10, Math.floor(RUNS / 5))),
    );
    summary('property 3');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  // Paths and query strings ------------------------------------------------------------------

  const BAD_ENCODINGS = ['%E0%A4%A', '%ZZ', '%', '%8', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%C3', '%F4%90%80%80'];
  const unreservedSegment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
  const encodedSegment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map((value) => encodeURIComponent(value));
  const goodSegment = fc.oneof(
    unreservedSegment,
    encodedSegment,
    fc.constantFrom('test', 'openai', 'embed', '..', '.', '%2F', '%2e%2e', 'a%00b', '%20'),
  );
  const badSegment = fc
    .tuple(fc.option(goodSegment), fc.constantFrom(...BAD_ENCODINGS), fc.option(unreservedSegment))
    .map(([before, bad, after]) => `${before ?? ''}${bad}${after ?? ''}`);
  /** Characters node:http sends in a path as they are (no space or control character: it refuses those). */
  const pathChar = fc.constantFrom(
    ..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-._~!$&'()*+,;=:@/%?#[]".split(''),
    '%2F',
    '%00',
    '%25',
    '\u00e9',
    '\u00ff',
  );
  const randomText = (max: number): fc.Arbitrary<string> => fc.string({ unit: pathChar, maxLength: max });
  /** Numbers of every magnitude: epoch milliseconds, and far past the ±8.64e15 a Date can hold. */
  const numberText = fc.oneof(
    fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String),
    fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String),
    fc.constantFrom(
      '8640000000000000',
      '8640000000000001',
      '-8640000000000001',
      '9007199254740993',
      '00000000000000000001',
      '1e3',
      '-1',
      '0x10',
      'Infinity',
      'NaN',
    ),
  );
  const dateText = fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => encodeURIComponent(date.toISOString())),
    fc.constantFrom(
      '%2B275760-09-13T00%3A00%3A00.000Z',
      '%2B275760-09-14T00%3A00%3A00.000Z',
      '-271821-04-20T00%3A00%3A00.000Z',
      '-271821-04-19T00%3A00%3A00.000Z',
      '2025-02-30',
      '2025-13-45',
      '1970-01-01',
      'Tue%2C%2001%20Jan%202030%2000%3A00%3A00%20GMT',
    ),
  );
  /** Anything at all as a query value. */
  const junkValue = fc.oneof(
    numberText,
    dateText,
    randomText(20),
    fc.constantFrom(...BAD_ENCODINGS),
    fc.constantFrom(
      '',
      'json',
      'csv',
      'JSON',
      'xml',
      'true',
      'false',
      '1',
      'gen_x',
      'key_x',
      "'%20OR%201%3D1%20--",
      '%00',
      'x'.repeat(3_000),
    ),
  );
  /** A fuzzing dictionary of the query parameters routes read, each with values of its own kind (so one bad value does not mask another). */
  const QUERY_DICTIONARY: Record<string, fc.Arbitrary<string>> = {
    id: fc.oneof(fc.stringMatching(/^gen-[a-z0-9]{1,24}$/), fc.stringMatching(/^key_[A-Za-z0-9]{1,16}$/), randomText(12)),
    key_id: fc.oneof(fc.stringMatching(/^key_[A-Za-z0-9]{1,16}$/), randomText(12)),
    from: fc.oneof(numberText, dateText),
    to: fc.oneof(numberText, dateText),
    format: fc.constantFrom('json', 'csv'),
    all: fc.constantFrom('true', 'false'),
    limit: numberText,
    offset: numberText,
    depth: numberText,
    top: numberText,
    sort: fc.constantFrom('total', 'finetune', 'adapter', 'quantized', 'merge', 'downloads', 'depth', 'root'),
    order: fc.constantFrom('asc', 'desc'),
  };
  const queryPair = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...Object.keys(QUERY_DICTIONARY))
        .chain((name) =>
          fc
            .oneof({ weight: 4, arbitrary: QUERY_DICTIONARY[name]! }, { weight: 1, arbitrary: junkValue })
            .map((value) => [name, value] as const),
        ),
    },
    { weight: 1, arbitrary: fc.tuple(randomText(8), junkValue) },
  );
  const queryString = fc
    .array(queryPair, { minLength: 1, maxLength: 4 })
    .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));

  /** What a request to a random path must get: the dispatch outcome src/routes.ts would reach, never a 5xx. */
  async function checkRouted(method: string, path: string, apiKey: string | null, answer: Answer): Promise<void> {
    const context = `${method} ${path} ${apiKey === null ? 'without a key' : apiKey === MASTER_KEY ? 'admin key' : 'user key'}`;
    await checkAlive(answer, context);
    const { route, badEncoding } = dispatch(method, path); // node:http sends the path verbatim ('#' included)
    if (answer.status === 400 && answer.text.includes('The request is not valid HTTP/1.1.')) {
      // Node's HTTP parser refused the request line (a byte it does not accept in a URL): fine, a 4xx,
      // in the shape of the route the request line named.
      expectErrorShape(shapeOfPath(path), answer, context);
    } else if (!route) {
      expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBe(404);
      expectErrorShape(shapeOfPath(path), answer, context);
    } else if (badEncoding) {
      expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBe(400);
      expectErrorShape(route.shape, answer, context);
    } else {
      if (apiKey === null && !route.isPublic) expect(answer.status, `${context}: ${answer.text.slice(0, 300)}`).toBe(401);
      if (answer.status >= 400) expectErrorShape(route.shape, answer, context);
    }
  }

  it('property 4a: random paths and percent-encodings are never a 5xx (unknown routes 404, bad encoding in a path parameter 400)', async () => {
    const fromRoute = fc.constantFrom(...FUZZ_ROUTES).chain((route) => {
      const path: fc.Arbitrary<string> = route.pattern
        ? fc
            .array(fc.tuple(fc.boolean(), goodSegment, badSegment), {
              minLength: route.literals!.length - 1,
              maxLength: route.literals!.length - 1,
            })
            .map((segments) =>
              fillPattern(
                route,
                segments.map(([useBad, good, bad]) => (useBad ? bad : good)),
              ),
            )
        : fc.constant(route.path!);
      const mangled = fc
        .tuple(path, fc.nat(), fc.constantFrom('encode', 'upper', 'slash', 'dot', 'suffix', 'none', 'none', 'none'), randomText(6))
        .map(([base, at, how, text]) => {
          const index = at % base.length;
          switch (how) {
            case 'encode':
              return `${base.slice(0, index)}%${base.charCodeAt(index).toString(16).padStart(2, '0')}${base.slice(index + 1)}`;
            case 'upper':
              return base.toUpperCase();
            case 'slash':
              return `${base}/`;
            case 'dot':
              return `${base.slice(0, index)}/../${base.slice(index)}`;
            case 'suffix':
              return `${base}${text}`;
            default:
              return base;
          }
        });
      return fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constant(route.method) }, fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS')),
        mangled,
      );
    });
    const randomPath = fc.tuple(
      fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'),
      randomText(40).map((text) => `/${text}`),
    );
    const cases = fc.tuple(fc.oneof({ weight: 3, arbitrary: fromRoute }, randomPath), fc.option(queryString, { freq: 3 }), fc.option(key));
    const before = healthSnapshot(gateway);
    await fc.assert(
      fc.asyncProperty(cases, async ([[method, rawPath], search, apiKey]) => {
        beginRun();
        const calls = upstreamCalls();
        const path = search === null ? rawPath : `${rawPath}${rawPath.includes('?') ? '&' : '?'}${search}`;
        const body = method === 'POST' || method === 'PATCH' || method === 'PUT' ? Buffer.alloc(0) : undefined; // an empty body: nothing is created
        const answer = await send(method, path, apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }, body);
        await checkRouted(method, path, apiKey, answer);
        expect(upstreamCalls(), `${method} ${path}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${method} ${path}: health changed`).toEqual(before);
      }),
      options(),
    );
    summary('property 4a');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  it('property 4b: random query strings on every GET and DELETE route are never a 5xx', async () => {
    const routes = FUZZ_ROUTES.filter((route) => route.method === 'GET' || route.method === 'DELETE');
    const cases = fc.tuple(
      fc.constantFrom(...routes).chain((route) =>
        fc.tuple(
          fc.constant(route),
          route.pattern && route.method === 'GET'
            ? fc.oneof(
                concrete(route),
                fc.constantFrom(...KNOWN_MODELS).map((id) => fillPattern(route, id.split('/'))),
              )
            : concrete(route),
        ),
      ),
      queryString,
      fc.oneof({ weight: 3, arbitrary: key }, { weight: 1, arbitrary: fc.constant(null) }),
    );
    const before = healthSnapshot(gateway);
    await fc.assert(
      fc.asyncProperty(cases, async ([[route, rawPath], search, apiKey]) => {
        beginRun();
        const calls = upstreamCalls();
        const path = `${rawPath}?${search}`;
        const answer = await send(route.method, path, apiKey === null ? {} : { authorization: `Bearer ${apiKey}` });
        await checkRouted(route.method, path, apiKey, answer);
        expect(upstreamCalls(), `${path}: upstream called`).toBe(calls);
        expect(healthSnapshot(gateway), `${path}: health changed`).toEqual(before);
      }),
      options(RUNS * 2),
    );
    summary('property 4b');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  it('property 5: any-JSON mutations of valid chat and Messages bodies are never a 5xx, and a 2xx was served upstream', async () => {
    type PathPart = string | number;
    /** Every path in `value` (objects and arrays included), and for every object a new key under it. */
    const pathsOf = (value: unknown, prefix: PathPart[] = []): PathPart[][] => {
      const out: PathPart[][] = prefix.length > 0 ? [prefix] : [];
      if (Array.isArray(value)) value.forEach((item, index) => out.push(...pathsOf(item, [...prefix, index])));
      else if (isObject(value)) {
        out.push([...prefix, '\u0000new']);
        for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...prefix, key]));
      }
      return out;
    };
    /**
     * Sets `value` at `path` (`\u0000new` is a fresh key), creating containers on the way (a scalar on
     * the way is replaced); `undefined` deletes. An index into an array lands on one of its items.
     */
    const setAt = (root: Json, path: PathPart[], value: unknown, newKey: string): void => {
      const put = (node: any, key: PathPart, item: unknown): void => {
        if (item === undefined) {
          if (Array.isArray(node) && typeof key === 'number') node.splice(key, 1);
          else delete node[key];
          return;
        }
        Object.defineProperty(node, key, { value: item, enumerable: true, writable: true, configurable: true }); // `__proto__` too, as an own key
      };
      let node: any = root;
      for (let index = 0; index < path.length; index++) {
        let part = path[index]!;
        if (part === '\u0000new') part = newKey;
        if (Array.isArray(node) && typeof part === 'number') part = node.length === 0 ? 0 : part % node.length;
        if (index === path.length - 1) {
          put(node, part, value);
          return;
        }
        if (typeof node[part] !== 'object' || node[part] === null || !Object.prototype.hasOwnProperty.call(node, part)) {
          put(node, part, typeof path[index + 1] === 'number' ? [] : {});
        }
        node = node[part];
      }
    };
    // Rich valid bodies that every upstream kind serves: each of their paths is mutated equally often.
    const richChat = (name: string): Json => ({
      model: name,
      models: [name],
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      n: 1,
      max_tokens: 256,
      max_completion_tokens: 256,
      stop: ['\n\n'],
      seed: 7,
      presence_penalty: 0,
      frequency_penalty: 0,
      logprobs: false,
      top_logprobs: 0,
      logit_bias: { 50256: -100 },
      user: 'user-1',
      metadata: { app: 'fuzz' },
      parallel_tool_calls: true,
      stream_options: { include_usage: true },
      usage: { include: true },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true },
      },
      reasoning: { effort: 'low', exclude: false, enabled: true },
      reasoning_effort: 'low',
      include_reasoning: true,
      provider: {
        order: ['acme', 'claude', 'google'],
        only: ['acme', 'claude', 'google'],
        ignore: [],
        allow_fallbacks: true,
        require_parameters: false,
        data_collection: 'allow',
        zdr: false,
        sort: 'price',
        max_price: { prompt: 100, completion: 100, request: 1 },
        preferred_min_throughput: { p50: 1 },
        preferred_max_latency: 60,
      },
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            strict: false,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: [{ type: 'text', text: 'really brief' }] },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: 'let me check',
          reasoning: 'think',
          reasoning_content: 'think',
          refusal: null,
          reasoning_details: [{ type: 'reasoning.text', text: 'think', signature: 'sig', format: 'anthropic-claude-v1', id: 'r1' }],
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'hi' },
      ],
    });
    const richMessages = (name: string): Json => ({
      model: name,
      models: [name],
      max_tokens: 2048,
      system: [{ type: 'text', text: 'be brief' }],
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['\n\n'],
      thinking: { type: 'enabled', budget_tokens: 1024 },
      metadata: { user_id: 'user-1' },
      service_tier: 'auto',
      provider: { order: ['acme', 'claude', 'google'], sort: 'price' },
      tools: [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xx' },
            { type: 'text', text: 'checking' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }], is_error: false },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
    });
    const minimalChat = (name: string): Json => chatBase(name);
    const minimalMessages = (name: string): Json => messagesBase(name);
    const chatPaths = pathsOf(richChat('m'));
    const messagesPaths = pathsOf(richMessages('m'));

    /** Values a field may well accept (so that a good share of mutated bodies reaches an upstream). */
    const plausible: fc.Arbitrary<unknown> = fc.oneof(
      fc.boolean(),
      fc.integer({ min: 0, max: 4 }),
      fc.double({ min: 0, max: 1, noNaN: true }).map(toJson),
      fc.string({ maxLength: 10 }),
      fc.constant(null),
      fc.constantFrom(
        'auto',
        'none',
        'required',
        'text',
        'function',
        'minimal',
        'low',
        'medium',
        'high',
        'xhigh',
        'max',
        'user',
        'assistant',
        'system',
        'tool',
        'developer',
        'price',
        'throughput',
        'latency',
        'allow',
        'deny',
        'fp8',
        'json_object',
        'json_schema',
        'hi',
        'f',
        'get_weather',
        'call_1',
        'toolu_1',
        'base64',
        'url',
        'enabled',
        'disabled',
        'any',
        'custom',
        'image',
        'image_url',
        'tool_use',
        'tool_result',
        'thinking',
        'redacted_thinking',
        'image/png',
        'https://example.com/a.png',
        'data:image/png;base64,iVBORw0KGgo=',
        '{"city":"Paris"}',
        '{',
        'reasoning.text',
        'reasoning.encrypted',
        'reasoning.summary',
      ),
      fc.constantFrom<unknown>(
        [],
        {},
        ['x'],
        ['acme', 'claude', 'google'],
        [{ type: 'text', text: 'x' }],
        { type: 'text', text: 'x' },
        { type: 'object' },
        { p50: 1 },
        { p90: 0 },
        { prompt: 1, completion: 2 },
        { by: 'price' },
        { effort: 'high' },
        { type: 'url', url: 'https://example.com/a.png' },
        { name: 'f', arguments: '{}' },
        { type: 'function', function: { name: 'get_weather' } },
        { type: 'enabled', budget_tokens: 2048 },
      ),
    );
    /** Plausible values, any JSON, deletion, and (often) hostile objects: String() on a client value must never throw. */
    const mutationValue = fc.oneof(
      { weight: 3, arbitrary: plausible },
      { weight: 2, arbitrary: anyJson },
      { weight: 2, arbitrary: hostile },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );

    const routes = BODY_ROUTES.filter((route) => route.body === 'chat' || route.body === 'messages' || route.body === 'count_tokens');
    const cases = fc.constantFrom(...routes).chain((route) => {
      const chat = route.body === 'chat';
      return fc.record({
        route: fc.constant(route),
        model: fc.oneof(
          { weight: 6, arbitrary: model },
          fc.constantFrom(...MODELS.map((name) => `${name}:nitro`), ...MODELS.map((name) => `${name}:floor`)),
        ),
        rich: fc.nat(3).map((value) => value > 0),
        stream: fc.boolean(),
        mutations: fc.array(fc.tuple(fc.constantFrom(...(chat ? chatPaths : messagesPaths)), mutationValue, fieldKey), {
          minLength: 1,
          maxLength: 3,
        }),
        badUtf8: fc.nat(4).map((value) => value === 4), // shrinks to false
        key,
      });
    });
    const healthy = (): void => {
      for (const [endpoint, state] of Object.entries(healthSnapshot(gateway)) as Array<[string, any]>) {
        expect({
          endpoint,
          circuit: state.circuit,
          ejections: state.ejections,
          cooling: state.cooling,
          failing: (state.error_rate ?? 0) > 0,
        }).toEqual({ endpoint, circuit: 'closed', ejections: 0, cooling: false, failing: false });
      }
    };
    let served = 0;
    await fc.assert(
      fc.asyncProperty(cases, async (item) => {
        beginRun();
        const { route } = item;
        const chat = route.body === 'chat';
        const base = (chat ? (item.rich ? richChat : minimalChat) : item.rich ? richMessages : minimalMessages)(item.model);
        const body: Json = { ...base, ...(item.stream ? { stream: true } : {}) };
        for (const [path, value, newKey] of item.mutations) setAt(body, path, value, newKey);
        let bytes = Buffer.from(JSON.stringify(body), 'utf8');
        if (item.badUtf8) {
          // invalid UTF-8 inside a string (the first "hi" of the prompt)
          const at = bytes.indexOf('"hi"');
          if (at !== -1) bytes = Buffer.concat([bytes.subarray(0, at + 2), Buffer.from([0xff, 0xc3, 0x28]), bytes.subarray(at + 3)]);
        }
        const calls = upstreamCalls();
        const headers: Record<string, string> = { authorization: `Bearer ${item.key}`, 'content-type': 'application/json' };
        const answer = await send(route.method, route.path!, headers, bytes);
        const context = `${route.label} ${bytes.toString('utf8').slice(0, 1_500)}`;
        await checkAlive(answer, context);
        if (answer.status >= 200 && answer.status < 300) {
          if (route.body !== 'count_tokens') {
            served++;
            expect(upstreamCalls(), `${context}: a 2xx that no upstream served`).toBeGreaterThan(calls);
          }
          if (String(answer.headers['content-type']).includes('text/event-stream')) {
            expect(
              /"finish_reason":"error"|^event: error$/m.test(answer.text),
              `${context}: a stream that ended in an error: ${answer.text.slice(-600)}`,
            ).toBe(false);
          }
        } else {
          expectErrorShape(route.shape, answer, context);
        }
        healthy();
      }),
      options(RUNS * 2),
    );
    console.log(`[fuzz] property 5: ${served} of ${RUNS * 2} mutated bodies were served by an upstream`);
    summary('property 5');
    expect((await send('GET', '/health')).status).toBe(200);
  }, 300_000);

  it('the gateway is alive and logged no error during the whole fuzz run', async () => {
    const answer = await send('GET', '/health');
    expect(answer.status).toBe(200);
    expect(errorLines(gateway)).toEqual([]);
  });
});
