/**
 * OpenAI-compatible SSE → ChatEvent. Parse once (SseReader), lift usage and finish reason,
 * pass every other field through. In-band errors (`data: {"error": …}`) and malformed JSON are
 * thrown as UpstreamError, so before the first event they trigger failover and after it they
 * cut the stream with an error chunk.
 */
import type { ChatChunk, ChatEvent } from '../../contract/chat-event.js';
import type { AnswerMessage, ChatDelta } from '../../contract/chat-types.js';
import { finishReasonFromOpenAI, type FinishReason } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import { SseReader } from '../../lib/sse-reader.js';
import { ThinkSplitter } from '../../lib/think-tags.js';

/**
 * Reasoning, normalised as OpenRouter returns it: DeepSeek's `reasoning_content` and reasoning in
 * `<think>` tags at the start of the content (Qwen3, QwQ, R1 distills without a server-side parser)
 * become `delta.reasoning` plus `delta.reasoning_details`; `reasoning_content` is kept for clients
 * that read DeepSeek's field. With `reasoning.exclude`, reasoning is removed.
 */
export class ReasoningNormalizer {
  private readonly splitters = new Map<number, ThinkSplitter>();

  constructor(private readonly exclude: boolean) {}

  /** Whether `apply` would leave a chunk of plain content (no reasoning fields) for choice `index` as it is. */
  passes(index: number): boolean {
    return this.splitters.get(index)?.passesThrough === true;
  }

  apply(chunk: ChatChunk): void {
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      if (!delta) continue;
      let reasoning =
        typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : '';
      let splitter = this.splitters.get(choice.index);
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (!splitter) this.splitters.set(choice.index, (splitter = new ThinkSplitter()));
        const split = splitter.push(delta.content);
        reasoning += split.reasoning;
        delta.content = split.content;
      }
      if (splitter && (typeof choice.finish_reason === 'string' || (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0))) {
        // The choice's text is complete (it finishes, or its tool calls begin): what the splitter
        // still holds (a text that could have begun a tag, such as "<th", or only whitespace) ends
        // its content or reasoning, before the tool calls, as in the whole answer.
        const rest = splitter.flush();
        reasoning += rest.reasoning;
        if (rest.content !== '') delta.content = (typeof delta.content === 'string' ? delta.content : '') + rest.content;
      }
      if (this.exclude) {
        delete delta.reasoning;
        delete delta.reasoning_content;
        delete delta.reasoning_details;
      } else if (reasoning !== '') {
        delta.reasoning = reasoning;
        delta.reasoning_content = reasoning;
        delta.reasoning_details ??= [{ type: 'reasoning.text', text: reasoning, format: 'unknown', index: 0 }];
      }
    }
  }
}
import type { Secrets } from '../../lib/secrets.js';
import { inBandError, malformedResponse } from '../upstream-errors.js';
import { PassThrough, rawEvent } from '../openai-passthrough.js';
import type { RawChunk } from '../../contract/raw-chunk.js';
import { chatResult } from './response.js';

function hasOutput(chunk: ChatChunk): boolean {
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if (!delta) continue;
    if (typeof delta.content === 'string' && delta.content !== '') return true;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') return true;
    if (typeof delta.reasoning === 'string' && delta.reasoning !== '') return true;
    if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) return true;
    if (delta.function_call) return true;
  }
  return false;
}

export function toChatEvent(parsed: Record<string, unknown>, providerName: string, secrets: Secrets): ChatEvent {
  if (parsed.error !== undefined && parsed.error !== null) throw inBandError(parsed, providerName, secrets);
  if (parsed.choices !== undefined && !Array.isArray(parsed.choices))
    throw malformedResponse(providerName, "a chunk's 'choices' is not an array");
  for (const choice of (parsed.choices as unknown[] | undefined) ?? []) {
    const item = choice as { delta?: unknown } | null;
    if (
      typeof item !== 'object' ||
      item === null ||
      (item.delta !== undefined && (typeof item.delta !== 'object' || item.delta === null))
    ) {
      throw malformedResponse(providerName, "a chunk's choice is not an object with a 'delta' object");
    }
    if (item.delta === undefined) item.delta = {};
  }
  // Checked above as far as the gateway reads it; other fields pass through as the upstream sent them.
  const chunk = parsed as ChatChunk;
  if (chunk.choices === undefined) chunk.choices = [];
  const event: ChatEvent = { type: 'chunk', chunk, hasOutput: hasOutput(chunk) };
  if (chunk.usage) {
    const usage = usageFromOpenAI(chunk.usage);
    if (usage) event.usage = usage;
  }
  for (const choice of chunk.choices) {
    const finish: FinishReason | undefined = finishReasonFromOpenAI(choice.finish_reason);
    if (finish) {
      event.finishReason = finish;
      break;
    }
  }
  return event;
}

/**
 * Converts SSE bytes to events. With `passthrough` (a client on the OpenAI surface), plain content
 * chunks become pass-through events (openai-passthrough.ts) instead of being parsed: consecutive
 * ones from one read as one event.
 */
export async function* readChatStream(
  body: AsyncIterable<Buffer>,
  providerName: string,
  secrets: Secrets,
  excludeReasoning = false,
  passthrough = false,
): AsyncGenerator<ChatEvent> {
  const reader = new SseReader();
  const reasoning = new ReasoningNormalizer(excludeReasoning);
  const fast = passthrough ? new PassThrough(reasoning) : undefined;
  for await (const bytes of body) {
    let run: RawChunk | undefined;
    for (const sse of reader.push(bytes)) {
      if (fast) {
        const taken = fast.take(sse.data, run);
        if (taken) {
          run = taken;
          continue;
        }
        if (run) {
          yield rawEvent(run);
          run = undefined;
        }
      }
      if (sse.data === '[DONE]') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(sse.data);
      } catch {
        throw malformedResponse(providerName, 'a stream event is not valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null) throw malformedResponse(providerName, 'a stream event is not a JSON object');
      const event = toChatEvent(parsed as Record<string, unknown>, providerName, secrets);
      reasoning.apply(event.chunk);
      yield event;
    }
    if (run) yield rawEvent(run);
  }
  if (reader.hasPartialEvent) throw malformedResponse(providerName, 'the stream ended in the middle of an event');
}

/** A whole message as one delta (tool calls gain their index). */
function toDelta(message: AnswerMessage | undefined): ChatDelta {
  if (!message) return {};
  const { tool_calls: calls, ...rest } = message;
  return calls ? { ...rest, tool_calls: calls.map((call, index) => ({ index, ...call })) } : rest;
}

/** An upstream that ignored `stream: true` and answered with one JSON object: replay it as one chunk. */
export function completionAsEvents(text: string, providerName: string, secrets: Secrets): ChatEvent[] {
  const result = chatResult(text, providerName, secrets);
  const choices = result.body.choices.map((choice, index) => ({
    index: typeof choice.index === 'number' ? choice.index : index,
    delta: toDelta(choice.message),
    finish_reason: choice.finish_reason ?? null,
  }));
  const chunk: ChatChunk = { ...result.body, object: 'chat.completion.chunk', choices, usage: result.body.usage ?? null };
  const event: ChatEvent = { type: 'chunk', chunk, hasOutput: hasOutput(chunk) };
  if (result.usage) event.usage = result.usage;
  if (result.finishReason) event.finishReason = result.finishReason;
  return [event];
}
