/** Reads a non-streamed OpenAI-compatible answer: lenient about extra fields, strict about the shape we need. */
import type { ChatResult, EmbeddingResult } from '../../spec/chat-event.js';
import { finishReasonFromOpenAI } from '../../spec/finish-reason.js';
import { usageFromOpenAI } from '../../spec/usage.js';
import { inBandError, malformedResponse } from './errors.js';

function parseObject(text: string, providerName: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedResponse(providerName, 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformedResponse(providerName, 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function chatResult(text: string, providerName: string): ChatResult {
  const body = parseObject(text, providerName);
  // Some servers answer an error with status 200 and an `error` object instead of choices.
  if (body.error && !Array.isArray(body.choices)) throw inBandError(body, providerName);
  if (!Array.isArray(body.choices)) throw malformedResponse(providerName, "no 'choices' array");
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
