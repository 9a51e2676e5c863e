/**
 * Canonical (OpenAI) request → Gemini `generateContent` request (ai.google.dev/api/generate-content).
 * Roles become user/model, system messages systemInstruction, tools functionDeclarations, tool
 * results functionResponse parts (named after the call they answer), sampling generationConfig.
 */
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_FIELDS, reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../spec/chat-request.js';
import { invalidRequest, preview } from '../../spec/errors.js';

type Json = Record<string, unknown>;

const MAPPED = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'seed',
  'n',
  'response_format',
  'presence_penalty',
  'frequency_penalty',
  'reasoning_effort',
  'user',
  'parallel_tool_calls',
]);
const REFUSED: Record<string, (value: unknown) => boolean> = {
  logprobs: (value) => value === true,
  top_logprobs: (value) => typeof value === 'number' && value > 0,
};
const EFFORT_BUDGET: Record<string, number> = { minimal: 512, low: 1_024, medium: 8_192, high: 24_576, xhigh: 24_576, max: 24_576 };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof (part as Json)?.text === 'string' ? ((part as Json).text as string) : '')).join('');
  return '';
}

function parts(content: unknown): Json[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) return [];
  return (content as Json[]).map((part) => {
    if (part.type === 'text') return { text: part.text };
    if (part.type === 'image_url') {
      const url = String(typeof part.image_url === 'string' ? part.image_url : (part.image_url as Json).url);
      const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      return match ? { inlineData: { mimeType: match[1], data: match[2] } } : { fileData: { mimeType: 'image/*', fileUri: url } };
    }
    throw invalidRequest(`Content part type ${preview(part.type)} cannot be sent to Gemini.`, 'messages');
  });
}

function translateMessages(messages: Json[]): { system: Json | undefined; contents: Json[] } {
  const system: string[] = [];
  const contents: Array<{ role: string; parts: Json[] }> = [];
  const callNames = new Map<string, string>();
  const push = (role: string, items: Json[]): void => {
    const previous = contents[contents.length - 1];
    if (previous && previous.role === role) previous.parts.push(...items);
    else contents.push({ role, parts: items });
  };
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') system.push(textOf(message.content));
    else if (message.role === 'user') push('user', parts(message.content));
    else if (message.role === 'assistant') {
      const items = textOf(message.content) !== '' ? [{ text: textOf(message.content) }] : [];
      for (const call of (message.tool_calls as Json[] | undefined) ?? []) {
        const fn = call.function as Json;
        callNames.set(String(call.id), String(fn.name));
        let args: unknown = {};
        try {
          args = typeof fn.arguments === 'string' && fn.arguments !== '' ? JSON.parse(fn.arguments) : {};
        } catch {
          throw invalidRequest(`Tool call ${String(call.id)} has arguments that are not JSON; Gemini needs an object.`, 'messages');
        }
        items.push({ functionCall: { name: fn.name, args } } as never);
      }
      push('model', items);
    } else if (message.role === 'tool') {
      const name = callNames.get(String(message.tool_call_id));
      if (!name) throw invalidRequest(`The tool message for ${String(message.tool_call_id)} answers no earlier tool call.`, 'messages');
      push('user', [{ functionResponse: { name, response: { content: textOf(message.content) } } }]);
    } else {
      throw invalidRequest(`Message role ${preview(message.role)} cannot be sent to Gemini.`, 'messages');
    }
  }
  return { system: system.length > 0 ? { parts: [{ text: system.join('\n\n') }] } : undefined, contents };
}

export function geminiRequest(request: ChatRequest, provider: ResolvedProvider): { body: Json; dropped: string[] } {
  const body = request.body;
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (GATEWAY_FIELDS.has(key) || MAPPED.has(key) || value === undefined || value === null) continue;
    const refuse = Object.hasOwn(REFUSED, key) ? REFUSED[key] : undefined;
    if (refuse) {
      if (refuse(value)) throw invalidRequest(`'${key}' cannot be served by ${provider.name}.`, key, 'unsupported_parameter');
      continue;
    }
    dropped.push(key);
  }
  const { system, contents } = translateMessages(body.messages as Json[]);
  const config: Json = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (body.temperature !== undefined) config.temperature = body.temperature;
  if (body.top_p !== undefined) config.topP = body.top_p;
  if (body.top_k !== undefined) config.topK = body.top_k;
  if (body.stop !== undefined) config.stopSequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed !== undefined) config.seed = body.seed;
  if (body.n !== undefined) config.candidateCount = body.n;
  if (body.presence_penalty !== undefined) config.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty !== undefined) config.frequencyPenalty = body.frequency_penalty;
  const format = body.response_format as Json | undefined;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = (format.json_schema as Json | undefined)?.schema;
  }
  const reasoning =
    reasoningOf(body) ??
    (typeof body.reasoning_effort === 'string'
      ? { effort: body.reasoning_effort as 'low', maxTokens: undefined, exclude: false, enabled: undefined }
      : undefined);
  if (reasoning) {
    const off = reasoning.enabled === false || reasoning.effort === 'none';
    config.thinkingConfig = {
      thinkingBudget: off ? 0 : (reasoning.maxTokens ?? EFFORT_BUDGET[reasoning.effort ?? 'medium'] ?? 8_192),
      includeThoughts: !off && !reasoning.exclude,
    };
  }
  const out: Json = { contents };
  if (system) out.systemInstruction = system;
  if (Object.keys(config).length > 0) out.generationConfig = config;
  if (Array.isArray(body.tools)) {
    out.tools = [
      {
        functionDeclarations: (body.tools as Json[]).map((tool) => {
          const fn = tool.function as Json;
          return {
            name: fn.name,
            ...(fn.description ? { description: fn.description } : {}),
            ...(fn.parameters ? { parameters: fn.parameters } : {}),
          };
        }),
      },
    ];
  }
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null) {
    const named = typeof choice === 'object' ? ((choice as Json).function as Json | undefined)?.name : undefined;
    if (typeof choice === 'object' && typeof named !== 'string') {
      throw invalidRequest(
        `'tool_choice' of type ${preview((choice as Json).type)} cannot be served by ${provider.name}; use none, auto, required or a function.`,
        'tool_choice',
        'unsupported_parameter',
      );
    }
    const mode = choice === 'none' ? 'NONE' : choice === 'required' || named !== undefined ? 'ANY' : 'AUTO';
    out.toolConfig = { functionCallingConfig: { mode, ...(named !== undefined ? { allowedFunctionNames: [named] } : {}) } };
  }
  return { body: out, dropped };
}

export function geminiEmbedRequest(request: EmbeddingRequest, upstreamModel: string): Json {
  const input = request.body.input;
  const texts = Array.isArray(input) ? input : [input];
  if (!texts.every((item) => typeof item === 'string'))
    throw invalidRequest('Gemini embeddings take text input, not token arrays.', 'input');
  return {
    requests: (texts as string[]).map((text) => ({
      model: `models/${upstreamModel}`,
      content: { parts: [{ text }] },
      ...(typeof request.body.dimensions === 'number' ? { outputDimensionality: request.body.dimensions } : {}),
    })),
  };
}
