/**
 * The canonical chat request. The OpenAI Chat Completions body is the lingua franca of open-model
 * serving, so the canonical form keeps it whole (every parameter passes through untouched) and adds
 * the gateway's own routing fields beside it. Validation is strict on what the gateway itself reads
 * and on the types OpenAI documents; an error names the field (`messages[1].role`).
 */
import type { ChatBody, ContentPartType, EmbeddingBody, ParameterContract, ReasoningEffort } from './chat-types.js';
import { invalidRequest, preview } from './errors.js';

export type * from './chat-types.js';

/** Fields that steer the gateway and are never forwarded upstream (every adapter's contract starts from these). */
export const GATEWAY_PARAMETERS = {
  models: 'gateway',
  provider: 'gateway',
  route: 'gateway',
  transforms: 'gateway',
  plugins: 'gateway',
  usage: 'gateway',
  session_id: 'gateway',
  debug: 'gateway',
  reasoning: 'gateway',
  include_reasoning: 'gateway',
} as const satisfies Partial<ParameterContract>;

export const GATEWAY_FIELDS: ReadonlySet<string> = new Set(Object.keys(GATEWAY_PARAMETERS));

/** OpenRouter's `reasoning` request object (also the legacy `include_reasoning`). */
export interface ReasoningRequest {
  effort: ReasoningEffort | undefined;
  maxTokens: number | undefined;
  exclude: boolean;
  enabled: boolean | undefined;
}

export function reasoningOf(body: ChatBody): ReasoningRequest | undefined {
  const value = body.reasoning;
  if (value === undefined || value === null) {
    if (body.include_reasoning === false) return { effort: undefined, maxTokens: undefined, exclude: true, enabled: undefined };
    return undefined;
  }
  return { effort: value.effort, maxTokens: value.max_tokens, exclude: value.exclude === true, enabled: value.enabled };
}

export interface ChatRequest {
  /** The client's body as sent (validated); adapters build the upstream body from it. */
  body: ChatBody;
  /** Requested model ids in fallback order: `model` first, then `models`. */
  models: string[];
  stream: boolean;
  /** Client asked for `max_tokens`/`max_completion_tokens`. */
  maxTokens: number | undefined;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expectType(body: Body, field: string, expected: 'string' | 'boolean' | 'object' | 'array'): void {
  const value = body[field];
  if (value === undefined) return;
  const actual = typeName(value);
  if (actual !== expected) throw invalidRequest(`Invalid type for '${field}': expected ${expected}, got ${actual}.`, field, 'invalid_type');
}

function expectNumber(body: Body, field: string, min: number, max: number, integer = false): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidRequest(`Invalid type for '${field}': expected a number, got ${typeName(value)}.`, field, 'invalid_type');
  }
  if (integer && !Number.isInteger(value)) throw invalidRequest(`Invalid '${field}': expected an integer, got ${value}.`, field);
  if (value < min || value > max) throw invalidRequest(`Invalid '${field}': ${value} is out of range; expected ${min} to ${max}.`, field);
}

function expectString(value: unknown, at: string, required = false): void {
  if (value === undefined || value === null) {
    if (required) throw invalidRequest(`Missing required parameter: '${at}'.`, at, 'missing_required_parameter');
    return;
  }
  if (typeof value !== 'string')
    throw invalidRequest(`Invalid type for '${at}': expected a string, got ${typeName(value)}.`, at, 'invalid_type');
}

function expectObject(value: unknown, at: string, required = false): value is Body {
  if (value === undefined || value === null) {
    if (required) throw invalidRequest(`Missing required parameter: '${at}'.`, at, 'missing_required_parameter');
    return false;
  }
  if (!isObject(value)) throw invalidRequest(`Invalid type for '${at}': expected an object, got ${typeName(value)}.`, at, 'invalid_type');
  return true;
}

/**
 * A content part: one of the documented types, checked field by field (every translator reads
 * them). An adapter that cannot carry a type refuses it with a 400.
 */
function validatePart(part: unknown, at: string): void {
  if (!isObject(part) || typeof part.type !== 'string') {
    throw invalidRequest(`Invalid '${at}': expected an object with a string 'type'.`, at);
  }
  switch (part.type) {
    case 'text':
      expectString(part.text, `${at}.text`, true);
      break;
    case 'image_url': {
      const image = part.image_url;
      if (typeof image === 'string') break;
      if (expectObject(image, `${at}.image_url`, true)) {
        expectString(image.url, `${at}.image_url.url`, true);
        expectString(image.detail, `${at}.image_url.detail`);
      }
      break;
    }
    case 'input_audio':
      if (expectObject(part.input_audio, `${at}.input_audio`, true)) {
        expectString(part.input_audio.data, `${at}.input_audio.data`, true);
        expectString(part.input_audio.format, `${at}.input_audio.format`, true);
      }
      break;
    case 'file':
      expectObject(part.file, `${at}.file`, true);
      break;
    case 'refusal':
      expectString(part.refusal, `${at}.refusal`, true);
      break;
    case 'video_url':
      if (expectObject(part.video_url, `${at}.video_url`, true)) expectString(part.video_url.url, `${at}.video_url.url`, true);
      break;
    default:
      throw invalidRequest(
        `Invalid value for '${at}.type': ${preview(part.type)} is not a content part type; expected one of ${PART_TYPES.join(', ')}.`,
        `${at}.type`,
      );
  }
}

function validateToolCalls(calls: unknown, at: string): void {
  if (calls === undefined || calls === null) return;
  if (!Array.isArray(calls))
    throw invalidRequest(`Invalid type for '${at}': expected an array, got ${typeName(calls)}.`, at, 'invalid_type');
  calls.forEach((call: unknown, index) => {
    const callAt = `${at}[${index}]`;
    if (!isObject(call))
      throw invalidRequest(`Invalid type for '${callAt}': expected an object, got ${typeName(call)}.`, callAt, 'invalid_type');
    expectString(call.id, `${callAt}.id`, true);
    if (call.type !== undefined && call.type !== 'function')
      throw invalidRequest(`Invalid value for '${callAt}.type': expected "function".`, `${callAt}.type`);
    if (expectObject(call.function, `${callAt}.function`, true)) {
      expectString(call.function.name, `${callAt}.function.name`, true);
      expectString(call.function.arguments, `${callAt}.function.arguments`);
    }
  });
}

/** OpenRouter's `reasoning_details` sent back on an assistant turn. */
function validateReasoningDetails(details: unknown, at: string): void {
  if (details === undefined || details === null) return;
  if (!Array.isArray(details))
    throw invalidRequest(`Invalid type for '${at}': expected an array, got ${typeName(details)}.`, at, 'invalid_type');
  details.forEach((detail: unknown, index) => {
    const detailAt = `${at}[${index}]`;
    if (!isObject(detail))
      throw invalidRequest(`Invalid type for '${detailAt}': expected an object, got ${typeName(detail)}.`, detailAt, 'invalid_type');
    expectString(detail.type, `${detailAt}.type`, true);
    for (const field of ['text', 'summary', 'signature', 'data', 'format', 'id']) expectString(detail[field], `${detailAt}.${field}`);
  });
}

function validateMessages(messages: unknown): void {
  if (messages === undefined) throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    throw invalidRequest(`Invalid type for 'messages': expected array, got ${typeName(messages)}.`, 'messages', 'invalid_type');
  if (messages.length === 0) throw invalidRequest("Invalid 'messages': expected at least one message.", 'messages');
  for (let index = 0; index < messages.length; index++) {
    const message: unknown = messages[index];
    const at = `messages[${index}]`;
    if (!isObject(message))
      throw invalidRequest(`Invalid type for '${at}': expected object, got ${typeName(message)}.`, at, 'invalid_type');
    const role = message.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalidRequest(
        `Invalid value for '${at}.role': expected one of ${[...ROLES].join(', ')}, got ${preview(role ?? null)}.`,
        `${at}.role`,
      );
    }
    const content = message.content;
    const hasToolCalls = Array.isArray(message.tool_calls) && message.tool_calls.length > 0;
    if (content === undefined || content === null) {
      if (
        role !== 'assistant' ||
        (!hasToolCalls && message.function_call === undefined && message.reasoning === undefined && message.reasoning_content === undefined)
      ) {
        throw invalidRequest(`Missing required parameter: '${at}.content'.`, `${at}.content`, 'missing_required_parameter');
      }
    } else if (typeof content !== 'string' && !Array.isArray(content)) {
      throw invalidRequest(
        `Invalid type for '${at}.content': expected string or array of content parts, got ${typeName(content)}.`,
        `${at}.content`,
        'invalid_type',
      );
    } else if (Array.isArray(content)) {
      content.forEach((part: unknown, partIndex) => validatePart(part, `${at}.content[${partIndex}]`));
    }
    expectString(message.name, `${at}.name`);
    if (role === 'tool' && typeof message.tool_call_id !== 'string') {
      throw invalidRequest(`Missing required parameter: '${at}.tool_call_id'.`, `${at}.tool_call_id`, 'missing_required_parameter');
    }
    if (role === 'assistant') {
      validateToolCalls(message.tool_calls, `${at}.tool_calls`);
      expectObject(message.function_call, `${at}.function_call`);
      expectString(message.reasoning, `${at}.reasoning`);
      expectString(message.reasoning_content, `${at}.reasoning_content`);
      expectString(message.refusal, `${at}.refusal`);
      validateReasoningDetails(message.reasoning_details, `${at}.reasoning_details`);
    }
  }
}

function validateTools(tools: unknown): void {
  if (tools === undefined) return;
  if (!Array.isArray(tools))
    throw invalidRequest(`Invalid type for 'tools': expected array, got ${typeName(tools)}.`, 'tools', 'invalid_type');
  tools.forEach((tool: unknown, index) => {
    const at = `tools[${index}]`;
    if (!isObject(tool)) throw invalidRequest(`Invalid type for '${at}': expected object.`, at, 'invalid_type');
    if (tool.type !== 'function') throw invalidRequest(`Invalid value for '${at}.type': expected "function".`, `${at}.type`);
    if (!isObject(tool.function) || typeof tool.function.name !== 'string' || tool.function.name === '') {
      throw invalidRequest(`Missing required parameter: '${at}.function.name'.`, `${at}.function.name`, 'missing_required_parameter');
    }
    expectString(tool.function.description, `${at}.function.description`);
    expectObject(tool.function.parameters, `${at}.function.parameters`);
    if (tool.function.strict !== undefined && tool.function.strict !== null && typeof tool.function.strict !== 'boolean') {
      throw invalidRequest(`Invalid type for '${at}.function.strict': expected a boolean.`, `${at}.function.strict`, 'invalid_type');
    }
  });
}

/** `none`, `auto`, `required`, or `{type: "function", function: {name}}`. */
function validateToolChoice(choice: unknown): void {
  if (choice === undefined || choice === null) return;
  if (typeof choice === 'string') {
    if (!['none', 'auto', 'required'].includes(choice))
      throw invalidRequest(
        `Invalid value for 'tool_choice': expected none, auto, required or an object, got ${preview(choice)}.`,
        'tool_choice',
      );
    return;
  }
  if (!isObject(choice))
    throw invalidRequest("Invalid type for 'tool_choice': expected a string or an object.", 'tool_choice', 'invalid_type');
  if (choice.type !== 'function') {
    throw invalidRequest(
      `Invalid value for 'tool_choice.type': expected "function", got ${preview(choice.type ?? null)}.`,
      'tool_choice.type',
    );
  }
  if (expectObject(choice.function, 'tool_choice.function', true)) expectString(choice.function.name, 'tool_choice.function.name', true);
}

function validateResponseFormat(format: unknown): void {
  if (!isObject(format)) return;
  if (typeof format.type !== 'string' || !['text', 'json_object', 'json_schema'].includes(format.type)) {
    throw invalidRequest(
      "Invalid value for 'response_format.type': expected one of text, json_object, json_schema.",
      'response_format.type',
    );
  }
  if (format.type === 'json_schema' && expectObject(format.json_schema, 'response_format.json_schema', true)) {
    expectString(format.json_schema.name, 'response_format.json_schema.name');
    expectObject(format.json_schema.schema, 'response_format.json_schema.schema');
  }
}

/** The content part types the gateway carries (OpenAI's, and OpenRouter's video). */
const PART_TYPES: readonly ContentPartType[] = ['text', 'image_url', 'input_audio', 'file', 'video_url', 'refusal'];

/** The reasoning efforts OpenAI and OpenRouter document (`reasoning.effort`, `reasoning_effort`). */
const REASONING_EFFORTS: readonly string[] = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'none'];

/** Longest `models` fallback list (OpenRouter's is shorter; every entry costs a catalog lookup). */
const MAX_MODELS = 32;

function validateModels(body: Body): string[] {
  const models: string[] = [];
  if (body.model !== undefined) {
    if (typeof body.model !== 'string' || body.model === '') {
      throw invalidRequest(`Invalid type for 'model': expected a non-empty string, got ${typeName(body.model)}.`, 'model', 'invalid_type');
    }
    models.push(body.model);
  }
  if (body.models !== undefined) {
    if (!Array.isArray(body.models) || body.models.some((model) => typeof model !== 'string' || model === '')) {
      throw invalidRequest("Invalid 'models': expected an array of model ids.", 'models', 'invalid_type');
    }
    if (body.models.length > MAX_MODELS) throw invalidRequest(`Invalid 'models': at most ${MAX_MODELS} model ids.`, 'models');
    for (const model of body.models as string[]) if (!models.includes(model)) models.push(model);
  }
  if (models.length === 0) throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  return models;
}

/** Validates a parsed Chat Completions body and returns the canonical request. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest(`Invalid request body: expected a JSON object, got ${typeName(body)}.`, null, 'invalid_body');
  const models = validateModels(body);
  validateMessages(body.messages);
  expectType(body, 'stream', 'boolean');
  expectType(body, 'stream_options', 'object');
  expectType(body, 'response_format', 'object');
  expectType(body, 'logit_bias', 'object');
  expectType(body, 'logprobs', 'boolean');
  expectType(body, 'parallel_tool_calls', 'boolean');
  expectType(body, 'user', 'string');
  expectType(body, 'metadata', 'object');
  expectType(body, 'provider', 'object');
  expectType(body, 'reasoning', 'object');
  if (typeof body.reasoning === 'object' && body.reasoning !== null) {
    const reasoning = body.reasoning as Record<string, unknown>;
    if (reasoning.effort !== undefined && (typeof reasoning.effort !== 'string' || !REASONING_EFFORTS.includes(reasoning.effort))) {
      throw invalidRequest(
        "Invalid value for 'reasoning.effort': expected one of minimal, low, medium, high, xhigh, max, none.",
        'reasoning.effort',
      );
    }
    if (reasoning.effort !== undefined && reasoning.max_tokens !== undefined) {
      throw invalidRequest("Invalid 'reasoning': give either effort or max_tokens, not both.", 'reasoning');
    }
    expectNumber(reasoning, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
    for (const flag of ['exclude', 'enabled']) {
      const value = reasoning[flag];
      if (value !== undefined && value !== null && typeof value !== 'boolean') {
        throw invalidRequest(
          `Invalid type for 'reasoning.${flag}': expected a boolean, got ${typeName(value)}.`,
          `reasoning.${flag}`,
          'invalid_type',
        );
      }
    }
  }
  expectType(body, 'reasoning_effort', 'string');
  if (typeof body.reasoning_effort === 'string' && !REASONING_EFFORTS.includes(body.reasoning_effort)) {
    throw invalidRequest(`Invalid value for 'reasoning_effort': expected one of ${REASONING_EFFORTS.join(', ')}.`, 'reasoning_effort');
  }
  expectType(body, 'include_reasoning', 'boolean');
  expectType(body, 'usage', 'object');
  expectType(body, 'tools', 'array');
  expectNumber(body, 'temperature', 0, 2);
  expectNumber(body, 'top_p', 0, 1);
  expectNumber(body, 'frequency_penalty', -2, 2);
  expectNumber(body, 'presence_penalty', -2, 2);
  expectNumber(body, 'n', 1, 128, true);
  expectNumber(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  expectNumber(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  expectNumber(body, 'top_logprobs', 0, 20, true);
  expectNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  validateTools(body.tools);
  const stop = body.stop;
  if (
    stop !== undefined &&
    stop !== null &&
    typeof stop !== 'string' &&
    !(Array.isArray(stop) && stop.every((item) => typeof item === 'string'))
  ) {
    throw invalidRequest("Invalid type for 'stop': expected a string or an array of strings.", 'stop', 'invalid_type');
  }
  validateToolChoice(body.tool_choice);
  validateResponseFormat(body.response_format);
  if (
    isObject(body.stream_options) &&
    body.stream_options.include_usage !== undefined &&
    typeof body.stream_options.include_usage !== 'boolean'
  ) {
    throw invalidRequest(
      "Invalid type for 'stream_options.include_usage': expected a boolean.",
      'stream_options.include_usage',
      'invalid_type',
    );
  }
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
  // Every field read below the boundary was checked above: from here on the body is the typed canonical request.
  return { body: body as ChatBody, models, stream: body.stream === true, maxTokens: maxTokens ?? undefined };
}

export interface EmbeddingRequest {
  body: EmbeddingBody;
  model: string;
}

/** Validates an Embeddings body (`model`, `input`, `encoding_format`, `dimensions`). */
export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (!isObject(body)) throw invalidRequest(`Invalid request body: expected a JSON object, got ${typeName(body)}.`, null, 'invalid_body');
  if (typeof body.model !== 'string' || body.model === '') {
    throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  }
  const input = body.input;
  const validInput =
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((item) => typeof item === 'string') ||
        input.every((item) => typeof item === 'number') ||
        input.every((item) => Array.isArray(item) && item.every((token) => typeof token === 'number'))));
  if (input === undefined) throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (!validInput)
    throw invalidRequest("Invalid 'input': expected a string, an array of strings, or token arrays.", 'input', 'invalid_type');
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    throw invalidRequest("Invalid value for 'encoding_format': expected float or base64.", 'encoding_format');
  }
  expectNumber(body, 'dimensions', 1, 65536, true);
  return { body: body as EmbeddingBody, model: body.model };
}
