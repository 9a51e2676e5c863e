/**
 * Anthropic's streaming events → canonical chunks: text_delta → delta.content, input_json_delta →
 * tool-call argument deltas, thinking_delta → delta.reasoning (signature_delta → reasoning_details),
 * message_delta → finish reason, then one usage chunk. `event: error` (overloaded_error …) is thrown.
 */
import { SseReader } from '../../lib/sse-reader.js';
import type { ChatChunk, ChatEvent } from '../../contract/chat-event.js';
import { UpstreamError } from '../../contract/errors.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import type { Secrets } from '../../lib/secrets.js';
import { malformedResponse, MESSAGE_LIMIT } from '../upstream-errors.js';
import { finishFromAnthropic, usageToOpenAI } from './response.js';

type Json = Record<string, unknown>;

export async function* readAnthropicStream(body: AsyncIterable<Buffer>, providerName: string, secrets: Secrets): AsyncGenerator<ChatEvent> {
  const reader = new SseReader();
  let id = '';
  let model = '';
  let usage: Json = {};
  /** Anthropic content block index → OpenAI tool-call index. */
  const tools = new Map<number, number>();
  /** Index of the current thinking (or redacted thinking) block among them: OpenRouter's `reasoning_details[].index`. */
  let detail = -1;
  const chunk = (delta: Json, finish: string | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  for await (const bytes of body) {
    for (const sse of reader.push(bytes)) {
      let data: Json;
      try {
        data = JSON.parse(sse.data) as Json;
      } catch {
        throw malformedResponse(providerName, 'a stream event is not valid JSON');
      }
      switch (data.type) {
        case 'message_start': {
          const message = (data.message ?? {}) as Json;
          id = String(message.id ?? '');
          model = String(message.model ?? '');
          usage = (message.usage ?? {}) as Json;
          yield { type: 'chunk', chunk: chunk({ role: 'assistant', content: '' }), hasOutput: false };
          break;
        }
        case 'content_block_start': {
          const block = (data.content_block ?? {}) as Json;
          if (block.type === 'thinking') detail++;
          if (block.type === 'redacted_thinking') {
            detail++;
            yield {
              type: 'chunk',
              chunk: chunk({
                reasoning_details: [{ type: 'reasoning.encrypted', data: block.data, format: 'anthropic-claude-v1', index: detail }],
              }),
              hasOutput: false,
            };
          }
          if (block.type === 'tool_use') {
            const index = tools.size;
            tools.set(Number(data.index), index);
            yield {
              type: 'chunk',
              chunk: chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] }),
              hasOutput: true,
            };
          }
          break;
        }
        case 'content_block_delta': {
          const delta = (data.delta ?? {}) as Json;
          if (delta.type === 'text_delta') yield { type: 'chunk', chunk: chunk({ content: delta.text }), hasOutput: delta.text !== '' };
          else if (delta.type === 'input_json_delta') {
            yield {
              type: 'chunk',
              chunk: chunk({ tool_calls: [{ index: tools.get(Number(data.index)) ?? 0, function: { arguments: delta.partial_json } }] }),
              hasOutput: true,
            };
          } else if (delta.type === 'thinking_delta') {
            yield {
              type: 'chunk',
              chunk: chunk({
                reasoning: delta.thinking,
                reasoning_details: [{ type: 'reasoning.text', text: delta.thinking, format: 'anthropic-claude-v1', index: detail }],
              }),
              hasOutput: delta.thinking !== '',
            };
          } else if (delta.type === 'signature_delta') {
            yield {
              type: 'chunk',
              chunk: chunk({
                reasoning_details: [
                  { type: 'reasoning.text', text: '', signature: delta.signature, format: 'anthropic-claude-v1', index: detail },
                ],
              }),
              hasOutput: false,
            };
          }
          break;
        }
        case 'message_delta': {
          const delta = (data.delta ?? {}) as Json;
          usage = { ...usage, ...((data.usage ?? {}) as Json) };
          const finish = finishFromAnthropic(delta.stop_reason);
          const event: ChatEvent = { type: 'chunk', chunk: chunk({}, finish), hasOutput: false };
          const unified = finishReasonFromOpenAI(finish);
          if (unified) event.finishReason = { unified: unified.unified, raw: String(delta.stop_reason) };
          yield event;
          break;
        }
        case 'message_stop': {
          const openaiUsage = usageToOpenAI(usage);
          const final: ChatChunk = {
            id,
            object: 'chat.completion.chunk',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [],
            usage: openaiUsage ?? null,
          };
          const event: ChatEvent = { type: 'chunk', chunk: final, hasOutput: false };
          const parsed = usageFromOpenAI(openaiUsage);
          if (parsed) event.usage = parsed;
          yield event;
          return;
        }
        case 'error': {
          const error = (data.error ?? {}) as Json;
          const overloaded = error.type === 'overloaded_error';
          throw new UpstreamError(
            `${providerName} reported an error in the stream: ${secrets.redactAndTruncate(String(error.message ?? 'unknown'), MESSAGE_LIMIT)}`,
            {
              status: overloaded ? 503 : error.type === 'rate_limit_error' ? 429 : 502,
              code: 'upstream_stream_error',
              metadata: { provider_name: providerName },
            },
          );
        }
        default:
          break; // ping and future event types
      }
    }
  }
  if (reader.hasPartialEvent) throw malformedResponse(providerName, 'the stream ended in the middle of an event');
}
