/** Gemini `GenerateContentResponse` → the canonical (OpenAI) answer and chunks. */
import type { ChatChunk, ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import type { AnswerMessage, ChatChoice, ChatDelta, ToolCallDelta, UsageBody } from '../../contract/chat-types.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import type { Secrets } from '../../lib/secrets.js';
import { floatsToBase64 } from '../../contract/embedding-encoding.js';
import { inBandError, malformedResponse } from '../upstream-errors.js';

/** Gemini's wire objects, read leniently. */
type Json = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const FINISH: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
};

export function finishFromGemini(reason: unknown, hasToolCalls: boolean): string | null {
  if (typeof reason !== 'string' || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (hasToolCalls && reason === 'STOP') return 'tool_calls';
  return FINISH[reason] ?? 'stop';
}

/** Gemini counts thoughts apart from candidates; OpenAI's completion_tokens include reasoning. */
export function usageToOpenAI(metadata: unknown): UsageBody | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const value = metadata as Json;
  const prompt = typeof value.promptTokenCount === 'number' ? value.promptTokenCount : 0;
  const candidates = typeof value.candidatesTokenCount === 'number' ? value.candidatesTokenCount : 0;
  const thoughts = typeof value.thoughtsTokenCount === 'number' ? value.thoughtsTokenCount : 0;
  const cached = typeof value.cachedContentTokenCount === 'number' ? value.cachedContentTokenCount : 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: candidates + thoughts,
    total_tokens: prompt + candidates + thoughts,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

export interface CandidateDelta {
  delta: ChatDelta;
  finish: string | null;
  hasOutput: boolean;
}

/** One candidate's parts → an OpenAI delta (text, reasoning from `thought` parts, whole function calls). */
export function candidateDelta(candidate: Json, callOffset: number): CandidateDelta {
  const content = (candidate.content ?? {}) as Json;
  let text = '';
  let reasoning = '';
  const calls: ToolCallDelta[] = [];
  for (const part of (content.parts as Json[] | undefined) ?? []) {
    if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    } else if (part.functionCall) {
      const call = part.functionCall as Json;
      const index = callOffset + calls.length;
      calls.push({
        index,
        id: str(call.id) ?? `call_${index}`,
        type: 'function',
        function: { name: str(call.name) ?? '', arguments: JSON.stringify(call.args ?? {}) },
      });
    }
  }
  const delta: ChatDelta = {};
  if (text !== '') delta.content = text;
  if (reasoning !== '') {
    delta.reasoning = reasoning;
    delta.reasoning_details = [{ type: 'reasoning.text', text: reasoning, format: 'google-gemini-v1', index: 0 }];
  }
  if (calls.length > 0) delta.tool_calls = calls;
  return {
    delta,
    finish: finishFromGemini(candidate.finishReason, calls.length > 0),
    hasOutput: text !== '' || reasoning !== '' || calls.length > 0,
  };
}

function parse(text: string, providerName: string, secrets: Secrets): Json {
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw malformedResponse(providerName, 'the body is not valid JSON');
  }
  if (body.error) throw inBandError(body, providerName, secrets);
  return body;
}

export function chatResultFromGemini(text: string, providerName: string, model: string, secrets: Secrets): ChatResult {
  const body = parse(text, providerName, secrets);
  if (!Array.isArray(body.candidates)) throw malformedResponse(providerName, "no 'candidates' array");
  const choices = (body.candidates as Json[]).map((candidate, index) => {
    const { delta, finish } = candidateDelta(candidate, 0);
    const message: AnswerMessage = { role: 'assistant', content: delta.content ?? (delta.tool_calls ? null : '') };
    if (delta.tool_calls) {
      message.tool_calls = delta.tool_calls.map((call) => ({
        id: call.id ?? '',
        type: 'function',
        function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '{}' },
      }));
    }
    if (delta.reasoning) {
      message.reasoning = delta.reasoning;
      if (delta.reasoning_details) message.reasoning_details = delta.reasoning_details;
    }
    const choice: ChatChoice = {
      index: typeof candidate.index === 'number' ? candidate.index : index,
      message,
      finish_reason: finish ?? 'stop',
      native_finish_reason: str(candidate.finishReason) ?? null,
      logprobs: null,
    };
    return choice;
  });
  const usage = usageToOpenAI(body.usageMetadata);
  const first = choices[0];
  return {
    body: {
      id: str(body.responseId) ?? '',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: str(body.modelVersion) ?? model,
      system_fingerprint: null, // Gemini sends none
      choices,
      ...(usage ? { usage } : {}),
    },
    usage: usageFromOpenAI(usage),
    finishReason: finishReasonFromOpenAI(first?.finish_reason),
    upstreamId: typeof body.responseId === 'string' ? body.responseId : undefined,
  };
}

export function chunkFromGemini(
  body: Json,
  callOffset: number,
  model: string,
): { chunk: ChatChunk; finish: string | null; hasOutput: boolean; calls: number } {
  const candidate = ((body.candidates as Json[] | undefined) ?? [])[0];
  const { delta, finish, hasOutput } = candidate ? candidateDelta(candidate, callOffset) : { delta: {}, finish: null, hasOutput: false };
  return {
    chunk: {
      id: str(body.responseId) ?? '',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: str(body.modelVersion) ?? model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    },
    finish,
    hasOutput,
    calls: delta.tool_calls?.length ?? 0,
  };
}

export function embeddingResultFromGemini(
  text: string,
  providerName: string,
  model: string,
  encoding: unknown,
  secrets: Secrets,
): EmbeddingResult {
  const body = parse(text, providerName, secrets);
  if (!Array.isArray(body.embeddings)) throw malformedResponse(providerName, "no 'embeddings' array");
  const data = (body.embeddings as Json[]).map((embedding, index) => {
    const values = (embedding.values ?? []) as number[];
    return { object: 'embedding', index, embedding: encoding === 'base64' ? floatsToBase64(values) : values };
  });
  return { body: { object: 'list', model, data }, usage: undefined };
}
