/**
 * OpenAI's Responses API request (`POST /v1/responses`) → the canonical chat request, so any
 * upstream serves it through the one lifecycle. `input` (a string or items: messages, images and
 * files, function calls and their outputs, reasoning items) becomes chat messages after
 * `instructions`; `previous_response_id` puts the stored conversation first. Strict at the
 * boundary: a field or item type that cannot be served is a 400 naming it, never dropped silently.
 * Documented shapes: platform.openai.com/docs/api-reference/responses/create.
 */
import { parseChatRequest, type ChatRequest } from '../../contract/chat-request.js';
import type { AssistantMessage, ChatMessage, ContentPart, ReasoningDetail } from '../../contract/chat-types.js';
import { fieldName, invalidRequest, preview } from '../../contract/errors.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a Response echoes back from its request, and what storing it needs. */
export interface ResponsesContext {
  model: string;
  instructions: string | null;
  maxOutputTokens: number | null;
  temperature: number | null;
  topP: number | null;
  tools: Json[];
  toolChoice: unknown;
  parallelToolCalls: boolean;
  reasoning: { effort: string | null; summary: string | null };
  textFormat: Json;
  store: boolean;
  metadata: Json;
  user: string | null;
  previousResponseId: string | null;
  /** Whether the client asked for `reasoning.encrypted_content` in `include`. */
  includeEncrypted: boolean;
  /** This request's input as items (what a later `previous_response_id` continues after). */
  inputItems: Json[];
  /** The stored conversation before this request (`previous_response_id`), as items. */
  history: Json[];
}

/** Fields of the Responses request; anything else is a 400 naming it. */
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'max_output_tokens',
  'temperature',
  'top_p',
  'stream',
  'store',
  'previous_response_id',
  'metadata',
  'user',
  'include',
  'truncation',
  'service_tier',
  'safety_identifier',
  'prompt_cache_key',
  'stream_options',
  // OpenRouter's routing fields, as on the chat surface
  'models',
  'provider',
]);
/** OpenAI-hosted features no upstream behind the gateway can provide. */
const HOSTED = new Set(['background', 'prompt', 'conversation', 'max_tool_calls', 'top_logprobs']);

/** The prefix of the opaque `encrypted_content` the gateway writes on reasoning items (its canonical reasoning details, base64 JSON). */
const REASONING_PREFIX = 'agora.reasoning.v1:';

export function encodeReasoningDetails(details: ReasoningDetail[]): string {
  return REASONING_PREFIX + Buffer.from(JSON.stringify(details)).toString('base64');
}

function decodeReasoningDetails(encrypted: unknown): ReasoningDetail[] | undefined {
  if (typeof encrypted !== 'string' || !encrypted.startsWith(REASONING_PREFIX)) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(encrypted.slice(REASONING_PREFIX.length), 'base64').toString('utf8')) as unknown;
    return Array.isArray(decoded) && decoded.every(isObject) ? (decoded as unknown as ReasoningDetail[]) : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string') throw invalidRequest(`Invalid type for '${at}': expected a string.`, at, 'invalid_type');
  return value;
}

/** A message's content parts → canonical content parts. */
function parts(content: unknown, at: string): ContentPart[] {
  if (!Array.isArray(content))
    throw invalidRequest(`Invalid type for '${at}': expected a string or an array of content parts.`, at, 'invalid_type');
  return content.map((part: unknown, index): ContentPart => {
    const partAt = `${at}[${index}]`;
    if (!isObject(part)) throw invalidRequest(`Invalid type for '${partAt}': expected an object.`, partAt, 'invalid_type');
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: text(part.text, `${partAt}.text`) };
      case 'refusal':
        return { type: 'refusal', refusal: text(part.refusal, `${partAt}.refusal`) };
      case 'input_image': {
        if (typeof part.image_url !== 'string') {
          throw invalidRequest(`'${partAt}' needs an image_url (a URL or a data: URI); file ids are OpenAI-hosted.`, `${partAt}.image_url`);
        }
        return {
          type: 'image_url',
          image_url: { url: part.image_url, ...(typeof part.detail === 'string' ? { detail: part.detail } : {}) },
        };
      }
      case 'input_file': {
        if (typeof part.file_data !== 'string') {
          throw invalidRequest(`'${partAt}' needs file_data (file ids and URLs are OpenAI-hosted).`, `${partAt}.file_data`);
        }
        return {
          type: 'file',
          file: { file_data: part.file_data, ...(typeof part.filename === 'string' ? { filename: part.filename } : {}) },
        };
      }
      default:
        throw invalidRequest(`Unsupported content part type ${preview(part.type)} at '${partAt}'.`, `${partAt}.type`);
    }
  });
}

function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  return parts(content, at)
    .map((part) => (part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : ''))
    .join('');
}

/** Items (history, then this request's input) → chat messages after the instructions. */
function messagesOf(items: Json[], instructions: string | null, historyLength: number): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== null) messages.push({ role: 'system', content: instructions });
  let reasoning = '';
  let details: ReasoningDetail[] = [];
  /** The assistant turn still open: function calls and reasoning attach to it. */
  let assistant: AssistantMessage | undefined;
  const openAssistant = (): AssistantMessage => {
    if (!assistant) {
      assistant = { role: 'assistant', content: null };
      messages.push(assistant);
    }
    if (reasoning !== '' || details.length > 0) {
      if (reasoning !== '') assistant.reasoning = `${assistant.reasoning ?? ''}${reasoning}`;
      if (details.length > 0) assistant.reasoning_details = [...(assistant.reasoning_details ?? []), ...details];
      reasoning = '';
      details = [];
    }
    return assistant;
  };
  items.forEach((item, index) => {
    const at = index < historyLength ? `previous_response_id (item ${index})` : `input[${index - historyLength}]`;
    switch (item.type ?? 'message') {
      case 'message': {
        const role = item.role;
        if (role === 'assistant') {
          const turn = openAssistant();
          const said = textOf(item.content, `${at}.content`);
          turn.content = `${typeof turn.content === 'string' ? turn.content : ''}${said}`;
          return;
        }
        assistant = undefined;
        if (role === 'user') {
          messages.push({ role: 'user', content: typeof item.content === 'string' ? item.content : parts(item.content, `${at}.content`) });
        } else if (role === 'system' || role === 'developer') {
          messages.push({ role, content: textOf(item.content, `${at}.content`) });
        } else {
          throw invalidRequest(
            `Invalid value for '${at}.role': expected user, assistant, system or developer, got ${preview(role ?? null)}.`,
            `${at}.role`,
          );
        }
        return;
      }
      case 'function_call': {
        const turn = openAssistant();
        (turn.tool_calls ??= []).push({
          id: text(item.call_id, `${at}.call_id`),
          type: 'function',
          function: { name: text(item.name, `${at}.name`), arguments: text(item.arguments ?? '', `${at}.arguments`) },
        });
        return;
      }
      case 'function_call_output': {
        assistant = undefined;
        messages.push({ role: 'tool', tool_call_id: text(item.call_id, `${at}.call_id`), content: textOf(item.output, `${at}.output`) });
        return;
      }
      case 'reasoning': {
        const restored = decodeReasoningDetails(item.encrypted_content);
        const said = [
          ...(Array.isArray(item.content) ? item.content : []),
          ...(restored ? [] : Array.isArray(item.summary) ? item.summary : []),
        ]
          .map((part: unknown) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
          .join('');
        reasoning += restored ? restored.map((detail) => detail.text ?? '').join('') : said;
        if (restored) details.push(...restored);
        return;
      }
      case 'item_reference':
        throw invalidRequest(`'${at}' is an item reference; send the item itself or continue with previous_response_id.`, `${at}.type`);
      default:
        throw invalidRequest(`Unsupported input item type ${preview(item.type)} at '${at}'.`, `${at}.type`);
    }
  });
  return messages;
}

/** `input` as items (a string is one user message). */
function inputItems(input: unknown): Json[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input))
    throw invalidRequest("Invalid type for 'input': expected a string or an array of input items.", 'input', 'invalid_type');
  return input.map((item: unknown, index) => {
    if (!isObject(item)) throw invalidRequest(`Invalid type for 'input[${index}]': expected an object.`, `input[${index}]`, 'invalid_type');
    return item.type === undefined ? { type: 'message', ...item } : item;
  });
}

function tools(value: unknown): { canonical: Json[]; echoed: Json[] } {
  if (value === undefined || value === null) return { canonical: [], echoed: [] };
  if (!Array.isArray(value)) throw invalidRequest("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
  const echoed: Json[] = [];
  const canonical = value.map((tool: unknown, index) => {
    const at = `tools[${index}]`;
    if (!isObject(tool)) throw invalidRequest(`Invalid type for '${at}': expected an object.`, at, 'invalid_type');
    if (tool.type !== 'function') {
      throw invalidRequest(
        `Tool type ${preview(tool.type)} at '${at}' is OpenAI-hosted; only function tools can be served by every upstream.`,
        `${at}.type`,
        'unsupported_parameter',
      );
    }
    echoed.push({
      type: 'function',
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? true,
    });
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
        ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
      },
    };
  });
  return { canonical, echoed };
}

function toolChoice(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === 'string') return value;
  if (isObject(value) && value.type === 'function') return { type: 'function', function: { name: value.name } };
  throw invalidRequest('Invalid \'tool_choice\': expected none, auto, required or {type: "function", name}.', 'tool_choice');
}

function responseFormat(textConfig: unknown): { canonical: Json | undefined; echoed: Json } {
  if (textConfig === undefined || textConfig === null) return { canonical: undefined, echoed: { type: 'text' } };
  if (!isObject(textConfig)) throw invalidRequest("Invalid type for 'text': expected an object.", 'text', 'invalid_type');
  const format = textConfig.format;
  if (format === undefined || format === null) return { canonical: undefined, echoed: { type: 'text' } };
  if (!isObject(format)) throw invalidRequest("Invalid type for 'text.format': expected an object.", 'text.format', 'invalid_type');
  switch (format.type) {
    case 'text':
      return { canonical: undefined, echoed: { type: 'text' } };
    case 'json_object':
      return { canonical: { type: 'json_object' }, echoed: { type: 'json_object' } };
    case 'json_schema':
      return {
        canonical: {
          type: 'json_schema',
          json_schema: {
            name: format.name,
            schema: format.schema,
            ...(format.strict !== undefined ? { strict: format.strict } : {}),
            ...(format.description !== undefined ? { description: format.description } : {}),
          },
        },
        echoed: format,
      };
    default:
      throw invalidRequest("Invalid value for 'text.format.type': expected text, json_object or json_schema.", 'text.format.type');
  }
}

/**
 * Validates a Responses request (its `previous_response_id` already looked up: `history` holds that
 * conversation's items) and returns the canonical request and the context the answer echoes.
 */
export function parseResponsesRequest(body: Json, history: Json[]): { chat: ChatRequest; context: ResponsesContext } {
  for (const key of Object.keys(body)) {
    if (HOSTED.has(key) && body[key] !== undefined && body[key] !== null && body[key] !== false) {
      throw invalidRequest(
        `'${fieldName(key)}' is an OpenAI-hosted feature that this gateway cannot serve.`,
        fieldName(key),
        'unsupported_parameter',
      );
    }
    if (!KNOWN.has(key) && !HOSTED.has(key))
      throw invalidRequest(`Unknown parameter: '${fieldName(key)}'.`, fieldName(key), 'unknown_parameter');
  }
  if (typeof body.model !== 'string' || body.model === '')
    throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (body.input === undefined) throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
    throw invalidRequest("Invalid type for 'instructions': expected a string.", 'instructions', 'invalid_type');
  }
  if (body.include !== undefined && !(Array.isArray(body.include) && body.include.every((item) => typeof item === 'string'))) {
    throw invalidRequest("Invalid type for 'include': expected an array of strings.", 'include', 'invalid_type');
  }
  const reasoningConfig = body.reasoning;
  if (reasoningConfig !== undefined && reasoningConfig !== null && !isObject(reasoningConfig)) {
    throw invalidRequest("Invalid type for 'reasoning': expected an object.", 'reasoning', 'invalid_type');
  }
  const summary = isObject(reasoningConfig) ? (reasoningConfig.summary ?? reasoningConfig.generate_summary ?? null) : null;
  if (summary !== null && !['auto', 'concise', 'detailed'].includes(String(summary))) {
    throw invalidRequest("Invalid value for 'reasoning.summary': expected auto, concise or detailed.", 'reasoning.summary');
  }
  const input = inputItems(body.input);
  const instructions = typeof body.instructions === 'string' ? body.instructions : null;
  const { canonical: canonicalTools, echoed: echoedTools } = tools(body.tools);
  const { canonical: format, echoed: echoedFormat } = responseFormat(body.text);
  const effort = isObject(reasoningConfig) ? reasoningConfig.effort : undefined;
  const openai: Json = {
    model: body.model,
    messages: messagesOf([...history, ...input], instructions, history.length),
    stream: body.stream === true,
  };
  if (body.max_output_tokens !== undefined && body.max_output_tokens !== null) openai.max_tokens = body.max_output_tokens;
  if (body.temperature !== undefined) openai.temperature = body.temperature;
  if (body.top_p !== undefined) openai.top_p = body.top_p;
  if (canonicalTools.length > 0) openai.tools = canonicalTools;
  if (body.tool_choice !== undefined) openai.tool_choice = toolChoice(body.tool_choice);
  if (body.parallel_tool_calls !== undefined) openai.parallel_tool_calls = body.parallel_tool_calls;
  if (format) openai.response_format = format;
  if (effort !== undefined && effort !== null) openai.reasoning = { effort };
  if (body.user !== undefined) openai.user = body.user;
  if (body.models !== undefined) openai.models = body.models;
  if (body.provider !== undefined) openai.provider = body.provider;
  let chat: ChatRequest;
  try {
    chat = parseChatRequest(openai);
  } catch (error) {
    throw renamed(error);
  }
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata)) {
    throw invalidRequest("Invalid type for 'metadata': expected an object.", 'metadata', 'invalid_type');
  }
  if (body.store !== undefined && typeof body.store !== 'boolean')
    throw invalidRequest("Invalid type for 'store': expected a boolean.", 'store', 'invalid_type');
  return {
    chat,
    context: {
      model: body.model,
      instructions,
      maxOutputTokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
      temperature: typeof body.temperature === 'number' ? body.temperature : null,
      topP: typeof body.top_p === 'number' ? body.top_p : null,
      tools: echoedTools,
      toolChoice: body.tool_choice ?? 'auto',
      parallelToolCalls: body.parallel_tool_calls !== false,
      reasoning: { effort: typeof effort === 'string' ? effort : null, summary: summary === null ? null : String(summary) },
      textFormat: echoedFormat,
      store: body.store !== false,
      metadata: isObject(body.metadata) ? body.metadata : {},
      user: typeof body.user === 'string' ? body.user : null,
      previousResponseId: typeof body.previous_response_id === 'string' ? body.previous_response_id : null,
      includeEncrypted: Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content'),
      inputItems: input,
      history,
    },
  };
}

/** A canonical request's error names its chat field; on this surface, name the Responses field it came from. */
function renamed(error: unknown): unknown {
  const param = (error as { param?: unknown }).param;
  if (typeof param !== 'string') return error;
  const renames: Array<[RegExp, string]> = [
    [/^max_tokens$/, 'max_output_tokens'],
    [/^response_format/, 'text.format'],
    [/^tools\[(\d+)\]\.function\./, 'tools[$1].'],
    [/^tool_choice\.function\./, 'tool_choice.'],
    // Message indexes do not match input items (instructions and the stored conversation come first).
    [/^messages.*$/, 'input'],
  ];
  for (const [pattern, replacement] of renames) {
    if (pattern.test(param)) {
      const name = param.replace(pattern, replacement);
      const value = error as { param: string; message: string };
      value.message = value.message.split(param).join(name);
      value.param = name;
      break;
    }
  }
  return error;
}
