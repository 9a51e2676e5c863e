/**
 * Anthropic Messages request → the canonical (OpenAI Chat Completions) request, so any upstream can
 * serve `/v1/messages`. Documented shapes: docs.anthropic.com/en/api/messages. Strict on what we
 * translate; a field we cannot carry is a 400 naming it, never silently dropped.
 */
import { fieldName, invalidRequest, preview } from '../../contract/errors.js';
import { parseChatRequest, type ChatRequest } from '../../contract/chat-request.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Anthropic's own fields; anything else is refused with a 400 naming it. */
const KNOWN = new Set([
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
  // gateway routing fields, as on the OpenAI surface
  'models',
  'provider',
]);
const UNSUPPORTED = new Set(['container', 'mcp_servers']);

function requireString(value: unknown, at: string): asserts value is string {
  if (typeof value !== 'string') {
    throw invalidRequest(
      value === undefined ? `Missing required parameter: '${at}'.` : `Invalid type for '${at}': expected a string.`,
      at,
      value === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  }
}

function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalidRequest(`Invalid '${at}': expected a string or an array of content blocks.`, at, 'invalid_type');
  return content
    .map((block: unknown, index) => {
      if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
        throw invalidRequest(`Invalid '${at}[${index}]': expected a text block.`, `${at}[${index}]`);
      }
      return block.text;
    })
    .join('');
}

function image(block: Json, at: string): Json {
  const source = block.source;
  if (!isObject(source)) throw invalidRequest(`Missing required parameter: '${at}.source'.`, `${at}.source`, 'missing_required_parameter');
  if (source.type === 'base64' && typeof source.data === 'string' && typeof source.media_type === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  throw invalidRequest(`Invalid '${at}.source': expected {type: "base64", media_type, data} or {type: "url", url}.`, `${at}.source`);
}

/** One Anthropic message → one or more OpenAI messages (tool results become `tool` messages). */
function translateMessage(message: unknown, index: number): Json[] {
  const at = `messages[${index}]`;
  if (!isObject(message)) throw invalidRequest(`Invalid type for '${at}': expected object.`, at, 'invalid_type');
  if (message.role !== 'user' && message.role !== 'assistant') {
    throw invalidRequest(
      `Invalid value for '${at}.role': expected "user" or "assistant", got ${preview(message.role ?? null)}.`,
      `${at}.role`,
    );
  }
  const content = message.content;
  if (typeof content === 'string') return [{ role: message.role, content }];
  if (!Array.isArray(content))
    throw invalidRequest(
      `Invalid type for '${at}.content': expected a string or an array of content blocks.`,
      `${at}.content`,
      'invalid_type',
    );
  const out: Json[] = [];
  const parts: Json[] = [];
  const toolCalls: Json[] = [];
  let reasoning = '';
  /** Thinking blocks as OpenRouter's reasoning_details, in order, each with its own signature. */
  const details: Json[] = [];
  content.forEach((block: unknown, blockIndex) => {
    const blockAt = `${at}.content[${blockIndex}]`;
    if (!isObject(block)) throw invalidRequest(`Invalid '${blockAt}': expected a content block object.`, blockAt, 'invalid_type');
    switch (block.type) {
      case 'text':
        if (typeof block.text !== 'string')
          throw invalidRequest(`Missing required parameter: '${blockAt}.text'.`, `${blockAt}.text`, 'missing_required_parameter');
        parts.push({ type: 'text', text: block.text });
        break;
      case 'image':
        parts.push(image(block, blockAt));
        break;
      case 'tool_use':
        if (message.role !== 'assistant') throw invalidRequest(`Invalid '${blockAt}': tool_use blocks belong to assistant turns.`, blockAt);
        requireString(block.id, `${blockAt}.id`);
        requireString(block.name, `${blockAt}.name`);
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'tool_result': {
        if (message.role !== 'user') throw invalidRequest(`Invalid '${blockAt}': tool_result blocks belong to user turns.`, blockAt);
        const result = block.content === undefined ? '' : textOf(block.content, `${blockAt}.content`);
        requireString(block.tool_use_id, `${blockAt}.tool_use_id`);
        out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${result}` : result });
        break;
      }
      case 'thinking':
        if (typeof block.thinking !== 'string') {
          throw invalidRequest(`Missing required parameter: '${blockAt}.thinking'.`, `${blockAt}.thinking`, 'missing_required_parameter');
        }
        if (block.signature !== undefined && typeof block.signature !== 'string') {
          throw invalidRequest(`Invalid type for '${blockAt}.signature': expected a string.`, `${blockAt}.signature`, 'invalid_type');
        }
        reasoning += block.thinking;
        // Each block keeps its own signature: Anthropic verifies them one by one on the next turn.
        details.push({
          type: 'reasoning.text',
          text: block.thinking,
          ...(block.signature ? { signature: block.signature } : {}),
          format: 'anthropic-claude-v1',
          index: details.length,
        });
        break;
      case 'redacted_thinking':
        // Encrypted for Anthropic only: kept so an Anthropic upstream gets it back; other upstreams skip it.
        if (typeof block.data !== 'string')
          throw invalidRequest(`Missing required parameter: '${blockAt}.data'.`, `${blockAt}.data`, 'missing_required_parameter');
        details.push({ type: 'reasoning.encrypted', data: block.data, format: 'anthropic-claude-v1', index: details.length });
        break;
      default:
        throw invalidRequest(`Unsupported content block type ${preview(block.type)} at '${blockAt}'.`, `${blockAt}.type`);
    }
  });
  if (parts.length > 0 || toolCalls.length > 0 || details.length > 0) {
    const onlyText = parts.every((part) => part.type === 'text');
    const translated: Json = {
      role: message.role,
      content: parts.length === 0 ? null : onlyText ? parts.map((part) => part.text).join('') : parts,
    };
    if (toolCalls.length > 0) translated.tool_calls = toolCalls;
    // Reasoning sent back goes on in the form reasoning upstreams (DeepSeek, Kimi) expect on the turn.
    if (reasoning) translated.reasoning_content = reasoning;
    if (details.length > 0) translated.reasoning_details = details;
    out.unshift(translated);
  }
  return out;
}

function translateTools(tools: unknown): Json[] | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) throw invalidRequest("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
  return tools.map((tool: unknown, index) => {
    if (!isObject(tool) || typeof tool.name !== 'string')
      throw invalidRequest(`Missing required parameter: 'tools[${index}].name'.`, `tools[${index}].name`, 'missing_required_parameter');
    if (tool.type !== undefined && tool.type !== 'custom') {
      throw invalidRequest(
        `Unsupported tool type ${preview(tool.type)} at 'tools[${index}]': only client tools (name, description, input_schema) can be served by every upstream.`,
        `tools[${index}].type`,
      );
    }
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? { type: 'object' },
      },
    };
  });
}

function translateToolChoice(choice: unknown): unknown {
  if (choice === undefined) return undefined;
  if (!isObject(choice)) throw invalidRequest("Invalid type for 'tool_choice': expected an object.", 'tool_choice', 'invalid_type');
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      requireString(choice.name, 'tool_choice.name');
      return { type: 'function', function: { name: choice.name } };
    default:
      throw invalidRequest("Invalid value for 'tool_choice.type': expected auto, any, tool or none.", 'tool_choice.type');
  }
}

/** Validates an Anthropic Messages body and returns the canonical request. */
export function anthropicToCanonical(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest('Invalid request body: expected a JSON object.', null, 'invalid_body');
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key)) throw invalidRequest(`${fieldName(key)}: Extra inputs are not permitted`, fieldName(key), 'unknown_parameter');
    if (UNSUPPORTED.has(key))
      throw invalidRequest(`'${key}' is an Anthropic-hosted feature that this gateway cannot serve.`, key, 'unsupported_parameter');
  }
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    throw invalidRequest('max_tokens: Field required (a whole number of at least 1).', 'max_tokens', 'missing_required_parameter');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw invalidRequest('messages: Field required (at least one message).', 'messages', 'missing_required_parameter');
  const messages: Json[] = [];
  if (body.system !== undefined) messages.push({ role: 'system', content: textOf(body.system, 'system') });
  body.messages.forEach((message: unknown, index) => messages.push(...translateMessage(message, index)));
  const openai: Json = { model: body.model, messages, max_tokens: body.max_tokens, stream: body.stream === true };
  if (body.temperature !== undefined) openai.temperature = body.temperature;
  if (body.top_p !== undefined) openai.top_p = body.top_p;
  if (body.top_k !== undefined) openai.top_k = body.top_k;
  if (body.stop_sequences !== undefined) openai.stop = body.stop_sequences;
  const tools = translateTools(body.tools);
  if (tools) openai.tools = tools;
  const toolChoice = translateToolChoice(body.tool_choice);
  if (toolChoice !== undefined) openai.tool_choice = toolChoice;
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string') openai.user = body.metadata.user_id;
  if (isObject(body.thinking) && body.thinking.type === 'enabled' && typeof body.thinking.budget_tokens === 'number') {
    openai.reasoning = { max_tokens: body.thinking.budget_tokens };
  }
  if (body.models !== undefined) openai.models = body.models;
  if (body.provider !== undefined) openai.provider = body.provider;
  return parseChatRequest(openai);
}
