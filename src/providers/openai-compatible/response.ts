/** Reads a non-streamed OpenAI-compatible answer: lenient about extra fields, strict about the shape we need. */
import type { ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import { opensWithThink, splitThink } from '../../lib/think-tags.js';
import type { Secrets } from '../../lib/secrets.js';
import { inBandError, malformedResponse } from '../upstream-errors.js';

function parseObject(text: string, providerName: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedResponse(providerName, 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw malformedResponse(providerName, 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** A whole message's reasoning, normalised like the streamed one (see stream.ts ReasoningNormalizer). */
function normaliseReasoning(choices: unknown[], exclude: boolean): void {
  for (const choice of choices as Array<{ message?: Record<string, unknown> }>) {
    const message = choice?.message;
    if (!message) continue;
    let reasoning =
      typeof message.reasoning_content === 'string'
        ? message.reasoning_content
        : typeof message.reasoning === 'string'
          ? message.reasoning
          : '';
    if (typeof message.content === 'string' && opensWithThink(message.content)) {
      const split = splitThink(message.content);
      reasoning += split.reasoning;
      message.content = split.content;
    }
    if (exclude) {
      delete message.reasoning;
      delete message.reasoning_content;
      delete message.reasoning_details;
    } else if (reasoning !== '') {
      message.reasoning = reasoning;
      message.reasoning_content = reasoning;
      message.reasoning_details ??= [{ type: 'reasoning.text', text: reasoning, format: 'unknown', index: 0 }];
    }
  }
}

export function chatResult(text: string, providerName: string, secrets: Secrets, excludeReasoning = false): ChatResult {
  const body = parseObject(text, providerName);
  // Some servers answer an error with status 200 and an `error` object instead of choices.
  if (body.error && !Array.isArray(body.choices)) throw inBandError(body, providerName, secrets);
  if (!Array.isArray(body.choices)) throw malformedResponse(providerName, "no 'choices' array");
  for (const choice of body.choices as unknown[]) {
    const item = choice as { message?: unknown; finish_reason?: unknown; native_finish_reason?: unknown } | null;
    if (typeof item !== 'object' || item === null || typeof item.message !== 'object' || item.message === null) {
      throw malformedResponse(providerName, "a choice is not an object with a 'message' object");
    }
    // OpenRouter's answers carry the upstream's own finish reason beside its own; passed through, they are the same word.
    if (item.native_finish_reason === undefined) item.native_finish_reason = item.finish_reason ?? null;
  }
  normaliseReasoning(body.choices, excludeReasoning);
  // OpenRouter's answer always has the key (its SDK requires it); many servers (vLLM, Ollama, DeepSeek at times) leave it out.
  body.system_fingerprint ??= null;
  const first = body.choices[0] as Record<string, unknown> | undefined;
  return {
    body: body as ChatResult['body'],
    usage: usageFromOpenAI(body.usage),
    finishReason: finishReasonFromOpenAI(first?.finish_reason),
    upstreamId: typeof body.id === 'string' ? body.id : undefined,
  };
}

export function embeddingResult(text: string, providerName: string): EmbeddingResult {
  const body = parseObject(text, providerName);
  if (!Array.isArray(body.data)) throw malformedResponse(providerName, "no 'data' array");
  return { body: body as EmbeddingResult['body'], usage: usageFromOpenAI(body.usage) };
}
