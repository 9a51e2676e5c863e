/**
 * Scripted upstreams on loopback, one per wire format (OpenAI-compatible Chat Completions, Anthropic
 * Messages, Gemini generateContent): each answers with the answer its prompt describes — the last
 * user message's text is a `Script` as JSON (any other prompt gets a plain "ok") — whole or streamed
 * as its vendor documents, the script's pieces as the stream's pieces; the requests are kept. Like
 * the vendors, the Anthropic and Gemini ones refuse a conversation of a shape they do not take (an
 * empty turn, tool calls and results out of place). For tests that hold the gateway's renderings of one answer
 * against each other (streamed and whole, across surfaces).
 *   OpenAI: platform.openai.com/docs/api-reference/chat-streaming (`reasoning_content` as DeepSeek)
 *   Anthropic: docs.anthropic.com/en/docs/build-with-claude/streaming (thinking, text, tool_use blocks)
 *   Gemini: ai.google.dev/api/generate-content (`thought` parts, `functionCall` parts, `alt=sse`)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The answer a scripted upstream gives: each list is the pieces of its stream, joined when whole. */
export interface Script {
  reasoning: string[];
  content: string[];
  /** Tool calls (with the id the upstream gives them, else its own); each one's arguments are a JSON text in pieces. */
  tools: Array<{ id?: string; name: string; arguments: string[] }>;
  /** OpenAI-compatible streams: the calls' argument pieces interleaved (call 0, call 1, call 0 …) instead of one call after the other. */
  interleave?: boolean;
  finish: 'stop' | 'length' | 'tool_calls';
  /** Anthropic: the signature of the thinking block (default 'sig-s1'). */
  signature?: string;
  /** The tokens the answer took, each upstream reporting them in its own terms (default 11 in, 7 out). */
  usage?: Tokens;
}

/** A generation's tokens, by what each is priced as. */
export interface Tokens {
  /** Prompt tokens neither read from nor written to a cache. */
  uncached: number;
  cacheRead: number;
  cacheWrite: number;
  /** Output tokens, reasoning included. */
  completion: number;
  /** Of `completion`, the reasoning. */
  reasoning: number;
}

const DEFAULT_TOKENS: Tokens = { uncached: 11, cacheRead: 0, cacheWrite: 0, completion: 7, reasoning: 0 };

export type ScriptedKind = 'openai-compatible' | 'anthropic' | 'gemini';

export interface ScriptedUpstream {
  /** The base URL to configure the provider with. */
  url: string;
  /** Every request's body, in order of arrival. */
  requests: Array<Record<string, any>>;
  /** Scripts answered first, in order, whatever the prompt says (for a conversation played turn by turn). */
  queue: Script[];
  close(): Promise<void>;
}

/** What an upstream answers to a prompt that is not a script. */
const PLAIN: Script = { reasoning: [], content: ['ok'], tools: [], finish: 'stop' };

type Answer = (script: Script, stream: boolean, response: ServerResponse, path: string) => void;

/** The script in a request body: the last user message's text (a string, or the first text part). */
function scriptOf(kind: ScriptedKind, body: Record<string, any>): Script {
  let text: unknown;
  if (kind === 'gemini') {
    const contents = (body.contents as Array<{ role?: string; parts: Array<{ text?: string }> }>).filter((item) => item.role !== 'model');
    text = contents.at(-1)?.parts.find((part) => typeof part.text === 'string')?.text;
  } else {
    const content = (body.messages as Array<{ role: string; content: unknown }>)
      .filter((message) => message.role === 'user')
      .at(-1)?.content;
    text =
      typeof content === 'string'
        ? content
        : (content as Array<{ text?: string }> | undefined)?.find((part) => typeof part.text === 'string')?.text;
  }
  try {
    const script = JSON.parse(String(text)) as Script;
    if (Array.isArray(script.content) && Array.isArray(script.reasoning)) return script;
  } catch {
    // not a script: a plain answer
  }
  return PLAIN;
}

const sse = (data: unknown, name?: string): string => `${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

const openai: Answer = (script, stream, response) => {
  const tokens = script.usage ?? DEFAULT_TOKENS;
  const prompt = tokens.uncached + tokens.cacheRead + tokens.cacheWrite;
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: tokens.completion,
    total_tokens: prompt + tokens.completion,
    prompt_tokens_details: { cached_tokens: tokens.cacheRead, cache_write_tokens: tokens.cacheWrite },
    completion_tokens_details: { reasoning_tokens: tokens.reasoning },
  };
  const head = { id: 'chatcmpl-s1', created: 1718000000, model: 'scripted' };
  const calls = script.tools.map((tool, index) => ({ id: tool.id ?? `call_s${index}`, name: tool.name, arguments: tool.arguments }));
  if (!stream) {
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: calls.length > 0 && script.content.length === 0 ? null : script.content.join(''),
    };
    if (script.reasoning.length > 0) message.reasoning_content = script.reasoning.join('');
    if (calls.length > 0)
      message.tool_calls = calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments.join('') },
      }));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...head,
        object: 'chat.completion',
        choices: [{ index: 0, message, logprobs: null, finish_reason: script.finish }],
        usage,
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    response.write(
      sse({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }),
    );
  chunk({ role: 'assistant', content: '' });
  for (const thought of script.reasoning) chunk({ content: null, reasoning_content: thought });
  for (const part of script.content) chunk({ content: part });
  // Each call opens with its id and name, then its argument pieces: call after call, or interleaved.
  const pieces = calls.map((call, index) => [
    { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
    ...call.arguments.map((part) => ({ index, function: { arguments: part } })),
  ]);
  if (script.interleave) {
    for (let step = 0; pieces.some((list) => step < list.length); step++)
      for (const list of pieces) if (step < list.length) chunk({ tool_calls: [list[step]] });
  } else for (const list of pieces) for (const piece of list) chunk({ tool_calls: [piece] });
  chunk({}, script.finish);
  response.write(sse({ ...head, object: 'chat.completion.chunk', choices: [], usage }));
  response.end('data: [DONE]\n\n');
};

const ANTHROPIC_STOP = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

const anthropic: Answer = (script, stream, response) => {
  // Anthropic counts cache reads and writes apart from input_tokens, and no reasoning apart from output.
  const tokens = script.usage ?? DEFAULT_TOKENS;
  const inputs = {
    input_tokens: tokens.uncached,
    cache_read_input_tokens: tokens.cacheRead,
    cache_creation_input_tokens: tokens.cacheWrite,
  };
  const usage = { ...inputs, output_tokens: tokens.completion };
  const blocks: Array<Record<string, unknown>> = [];
  if (script.reasoning.length > 0)
    blocks.push({ type: 'thinking', thinking: script.reasoning.join(''), signature: script.signature ?? 'sig-s1' });
  if (script.content.length > 0) blocks.push({ type: 'text', text: script.content.join('') });
  script.tools.forEach((tool, index) =>
    blocks.push({ type: 'tool_use', id: tool.id ?? `toolu_s${index}`, name: tool.name, input: JSON.parse(tool.arguments.join('')) }),
  );
  const message = { id: 'msg_s1', type: 'message', role: 'assistant', model: 'scripted', stop_sequence: null };
  if (!stream) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ...message, content: blocks, stop_reason: ANTHROPIC_STOP[script.finish], usage }));
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (name: string, data: Record<string, unknown>) => response.write(sse({ type: name, ...data }, name));
  event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...inputs, output_tokens: 1 } } });
  let index = 0;
  const block = (start: Record<string, unknown>, deltas: Array<Record<string, unknown>>) => {
    event('content_block_start', { index, content_block: start });
    for (const delta of deltas) event('content_block_delta', { index, delta });
    event('content_block_stop', { index });
    index++;
  };
  if (script.reasoning.length > 0) {
    block({ type: 'thinking', thinking: '' }, [
      ...script.reasoning.map((thinking) => ({ type: 'thinking_delta', thinking })),
      { type: 'signature_delta', signature: script.signature ?? 'sig-s1' },
    ]);
  }
  if (script.content.length > 0)
    block(
      { type: 'text', text: '' },
      script.content.map((text) => ({ type: 'text_delta', text })),
    );
  script.tools.forEach((tool, at) =>
    block(
      { type: 'tool_use', id: tool.id ?? `toolu_s${at}`, name: tool.name, input: {} },
      tool.arguments.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
    ),
  );
  // The final counts; the input counts again, as the API has sent them there since 2025 (cumulative, not added).
  event('message_delta', { delta: { stop_reason: ANTHROPIC_STOP[script.finish], stop_sequence: null }, usage });
  response.end(sse({ type: 'message_stop' }, 'message_stop'));
};

const gemini: Answer = (script, stream, response) => {
  // Gemini counts cached content inside promptTokenCount and thoughts apart from candidates; it has no cache writes.
  const tokens = script.usage ?? DEFAULT_TOKENS;
  const prompt = tokens.uncached + tokens.cacheRead;
  const usageMetadata = (done: boolean) => {
    const candidates = done ? tokens.completion - tokens.reasoning : 0;
    const thoughts = done ? tokens.reasoning : 0;
    return {
      promptTokenCount: prompt,
      candidatesTokenCount: candidates,
      ...(tokens.cacheRead > 0 ? { cachedContentTokenCount: tokens.cacheRead } : {}),
      ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: prompt + candidates + thoughts,
    };
  };
  const finishReason = script.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
  // A stream's every event carries the counts so far; the last one the final counts.
  const reply = (parts: Array<Record<string, unknown>>, finish: boolean) => ({
    candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason } : {}), index: 0 }],
    usageMetadata: usageMetadata(finish),
    modelVersion: 'scripted',
    responseId: 'gemini-s1',
  });
  const calls = script.tools.map((tool) => ({ functionCall: { name: tool.name, args: JSON.parse(tool.arguments.join('')) as unknown } }));
  if (!stream) {
    const parts: Array<Record<string, unknown>> = [];
    if (script.reasoning.length > 0) parts.push({ text: script.reasoning.join(''), thought: true });
    if (script.content.length > 0) parts.push({ text: script.content.join('') });
    parts.push(...calls);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply(parts, true)));
    return;
  }
  // Gemini streams whole parts (a function call in one piece), each event one candidate's new parts.
  const parts = [...script.reasoning.map((text) => ({ text, thought: true })), ...script.content.map((text) => ({ text })), ...calls];
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  parts.forEach((part, index) => response.write(`data: ${JSON.stringify(reply([part], index === parts.length - 1))}\r\n\r\n`));
  response.end();
};

/**
 * The vendors' documented refusals (400) of a conversation's shape. Anthropic: "all messages must
 * have non-empty content except for the optional final assistant message"; tool_result blocks
 * before any other content of their message; every tool_use answered by a tool_result in the next
 * message. Gemini (INVALID_ARGUMENT): "contents.parts must not be empty"; as many function response
 * parts as the function call turn before them had calls.
 */
function refusal(kind: ScriptedKind, body: Record<string, any>): unknown {
  if (kind === 'anthropic') {
    const messages = body.messages as Array<{ role: string; content: unknown }>;
    const empty = messages.findIndex(
      (message, index) =>
        !(index === messages.length - 1 && message.role === 'assistant') &&
        (message.content === '' ||
          (Array.isArray(message.content) &&
            (message.content.length === 0 ||
              message.content.some((block: { type?: string; text?: string }) => block.type === 'text' && block.text === '')))),
    );
    const refuse = (message: string) => ({ type: 'error', error: { type: 'invalid_request_error', message } });
    if (empty !== -1)
      return refuse(`messages.${empty}: all messages must have non-empty content except for the optional final assistant message`);
    const blocksOf = (content: unknown) =>
      Array.isArray(content) ? (content as Array<{ type: string; id?: string; tool_use_id?: string }>) : [];
    for (const [index, message] of messages.entries()) {
      const blocks = blocksOf(message.content);
      const firstOther = blocks.findIndex((block) => block.type !== 'tool_result');
      if (firstOther !== -1 && blocks.slice(firstOther).some((block) => block.type === 'tool_result'))
        return refuse(`messages.${index}: tool_result blocks must come first in the content array, before any other content`);
      const uses = blocks.filter((block) => block.type === 'tool_use').map((block) => block.id);
      const answered = new Set(blocksOf(messages[index + 1]?.content).map((block) => block.tool_use_id));
      const missing = uses.filter((id) => !answered.has(id));
      if (message.role === 'assistant' && missing.length > 0 && index < messages.length - 1)
        return refuse(
          `messages.${index + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
    }
    return undefined;
  }
  if (kind === 'gemini') {
    const empty = (body.contents as Array<{ parts?: unknown[] }>).findIndex(
      (content) => !Array.isArray(content.parts) || content.parts.length === 0,
    );
    const refuse = (message: string) => ({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
    if (empty !== -1) return refuse(`* GenerateContentRequest.contents[${empty}].parts: contents.parts must not be empty.\n`);
    const contents = body.contents as Array<{ role?: string; parts: Array<Record<string, unknown>> }>;
    for (const [index, content] of contents.entries()) {
      const calls = content.parts.filter((part) => part.functionCall).length;
      const responses = (contents[index + 1]?.parts ?? []).filter((part) => part.functionResponse).length;
      if (calls > 0 && index < contents.length - 1 && responses !== calls)
        return refuse(
          'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
        );
    }
    return undefined;
  }
  return undefined;
}

const ANSWERS: Record<ScriptedKind, Answer> = { 'openai-compatible': openai, anthropic, gemini };

/** Starts the scripted upstream of `kind`. */
export async function startScriptedUpstream(kind: ScriptedKind): Promise<ScriptedUpstream> {
  const requests: ScriptedUpstream['requests'] = [];
  const queue: Script[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString()) as Record<string, any>;
      requests.push(body);
      const path = request.url ?? '';
      const refused = refusal(kind, body);
      if (refused) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify(refused));
        return;
      }
      const stream = kind === 'gemini' ? path.includes(':streamGenerateContent') : body.stream === true;
      ANSWERS[kind](queue.shift() ?? scriptOf(kind, body), stream, response, path);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: kind === 'gemini' ? `${base}/v1beta` : `${base}/v1`,
    requests,
    queue,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
