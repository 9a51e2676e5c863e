/**
 * Canonical (OpenAI) request → Gemini `generateContent` request (ai.google.dev/api/generate-content).
 * Roles become user/model, system messages systemInstruction, tools functionDeclarations, tool
 * results functionResponse parts (named after the call they answer), sampling generationConfig.
 */
import type { ResolvedProvider } from '../../config/types.js';
import { GATEWAY_PARAMETERS, reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../contract/chat-request.js';
import type { ChatMessage, ContentPart, ParameterContract, ReasoningEffort } from '../../contract/chat-types.js';
import { invalidRequest, preview } from '../../contract/errors.js';
import { droppedParameters } from '../upstream-http.js';

/** Gemini's wire shapes (only what is built here). */
type Wire = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Wire[];
}

/** Gemini's parameter contract: a parameter added to the canonical request fails to compile here until it is classified. */
const CONTRACT = {
  ...GATEWAY_PARAMETERS,
  model: 'mapped',
  messages: 'mapped',
  stream: 'mapped',
  stream_options: 'mapped',
  max_tokens: 'mapped',
  max_completion_tokens: 'mapped',
  temperature: 'mapped',
  top_p: 'mapped',
  top_k: 'mapped',
  stop: 'mapped',
  tools: 'mapped',
  tool_choice: 'mapped',
  seed: 'mapped',
  n: 'mapped',
  response_format: 'mapped',
  presence_penalty: 'mapped',
  frequency_penalty: 'mapped',
  reasoning_effort: 'mapped',
  user: 'mapped',
  parallel_tool_calls: 'mapped',
  metadata: 'dropped',
  logit_bias: 'dropped',
  logprobs: { refuseWhen: (value) => value === true },
  top_logprobs: { refuseWhen: (value) => typeof value === 'number' && value > 0 },
} satisfies ParameterContract;

/** Gemini's thinking budget for each effort (ai.google.dev/gemini-api/docs/thinking). */
const EFFORT_BUDGET: Record<ReasoningEffort, number> = {
  none: 0,
  minimal: 512,
  low: 1_024,
  medium: 8_192,
  high: 24_576,
  xhigh: 24_576,
  max: 24_576,
};

function textOf(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return '';
}

function parts(content: string | ContentPart[]): Wire[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part) => {
    switch (part.type) {
      case 'text':
        return { text: part.text };
      case 'image_url': {
        const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
        const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
        return match ? { inlineData: { mimeType: match[1], data: match[2] } } : { fileData: { mimeType: 'image/*', fileUri: url } };
      }
      default:
        throw invalidRequest(`Content part type ${preview(part.type)} cannot be sent to Gemini.`, 'messages');
    }
  });
}

function translateMessages(messages: readonly ChatMessage[]): { system: Wire | undefined; contents: Content[] } {
  const system: string[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  const push = (role: Content['role'], items: Wire[]): void => {
    // A turn with nothing to say (an empty assistant answer in the history): Gemini refuses a content
    // without parts, and leaving it out says the same (the turns around it merge).
    if (items.length === 0) return;
    const previous = contents[contents.length - 1];
    if (previous && previous.role === role) previous.parts.push(...items);
    else contents.push({ role, parts: items });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content));
        break;
      case 'user':
        push('user', parts(message.content));
        break;
      case 'assistant': {
        const text = textOf(message.content);
        const items: Wire[] = text !== '' ? [{ text }] : [];
        for (const call of message.tool_calls ?? []) {
          callNames.set(call.id, call.function.name);
          let args: unknown = {};
          try {
            args = call.function.arguments ? JSON.parse(call.function.arguments) : {};
          } catch {
            throw invalidRequest(`Tool call ${preview(call.id)} has arguments that are not JSON; Gemini needs an object.`, 'messages');
          }
          items.push({ functionCall: { name: call.function.name, args } });
        }
        push('model', items);
        break;
      }
      case 'tool': {
        const name = callNames.get(message.tool_call_id);
        if (!name) throw invalidRequest(`The tool message for ${preview(message.tool_call_id)} answers no earlier tool call.`, 'messages');
        push('user', [{ functionResponse: { name, response: { content: textOf(message.content) } } }]);
        break;
      }
      case 'function':
        throw invalidRequest(`Message role ${preview(message.role)} cannot be sent to Gemini.`, 'messages');
    }
  }
  return { system: system.length > 0 ? { parts: [{ text: system.join('\n\n') }] } : undefined, contents };
}

export function geminiRequest(request: ChatRequest, provider: ResolvedProvider): { body: Wire; dropped: string[] } {
  const body = request.body;
  const dropped = droppedParameters(body, CONTRACT, provider.name);
  const { system, contents } = translateMessages(body.messages);
  const config: Wire = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) config.maxOutputTokens = maxTokens;
  if (body.temperature !== undefined && body.temperature !== null) config.temperature = body.temperature;
  if (body.top_p !== undefined && body.top_p !== null) config.topP = body.top_p;
  if (body.top_k !== undefined && body.top_k !== null) config.topK = body.top_k;
  if (body.stop !== undefined && body.stop !== null) config.stopSequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed !== undefined && body.seed !== null) config.seed = body.seed;
  if (body.n !== undefined && body.n !== null) config.candidateCount = body.n;
  if (body.presence_penalty !== undefined && body.presence_penalty !== null) config.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty !== undefined && body.frequency_penalty !== null) config.frequencyPenalty = body.frequency_penalty;
  const format = body.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = format.json_schema.schema;
  }
  const reasoning =
    reasoningOf(body) ??
    (body.reasoning_effort ? { effort: body.reasoning_effort, maxTokens: undefined, exclude: false, enabled: undefined } : undefined);
  if (reasoning) {
    const off = reasoning.enabled === false || reasoning.effort === 'none';
    config.thinkingConfig = {
      thinkingBudget: off ? 0 : (reasoning.maxTokens ?? EFFORT_BUDGET[reasoning.effort ?? 'medium']),
      includeThoughts: !off && !reasoning.exclude,
    };
  }
  const out: Wire = { contents };
  if (system) out.systemInstruction = system;
  if (Object.keys(config).length > 0) out.generationConfig = config;
  if (body.tools) {
    out.tools = [
      {
        functionDeclarations: body.tools.map((tool) => ({
          name: tool.function.name,
          ...(tool.function.description ? { description: tool.function.description } : {}),
          ...(tool.function.parameters ? { parameters: tool.function.parameters } : {}),
        })),
      },
    ];
  }
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null) {
    const named = typeof choice === 'object' ? choice.function.name : undefined;
    const mode = choice === 'none' ? 'NONE' : choice === 'required' || named !== undefined ? 'ANY' : 'AUTO';
    out.toolConfig = { functionCallingConfig: { mode, ...(named !== undefined ? { allowedFunctionNames: [named] } : {}) } };
  }
  return { body: out, dropped };
}

export function geminiEmbedRequest(request: EmbeddingRequest, upstreamModel: string): Wire {
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
