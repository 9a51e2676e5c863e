/**
 * Canonical stream chunks → Anthropic's event sequence: message_start, then per content block
 * content_block_start / content_block_delta… / content_block_stop (thinking, text, tool_use — in
 * the order they appear), then message_delta (stop reason, output usage) and message_stop. A
 * failure after the first byte is an `event: error` (docs.anthropic.com/en/api/messages-streaming).
 */
import { eventFrame } from '../../http/sse-writer.js';
import type { ChatChunk } from '../../contract/chat-event.js';
import type { AgoraError } from '../../contract/errors.js';
import { anthropicErrorType, anthropicUsage, stopReason } from './render-message.js';

type Json = Record<string, unknown>;

const event = eventFrame;

export class AnthropicStreamEncoder {
  private started = false;
  private index = -1;
  private open: 'thinking' | 'redacted_thinking' | 'text' | 'tool_use' | undefined;
  /** The reasoning_details index of the open thinking block (a new index starts a new block). */
  private thinkingDetail: unknown;
  /** OpenAI tool-call index → our block index. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: string | null = null;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly promptTokens: number,
  ) {}

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: this.promptTokens, output_tokens: 0 },
      },
    });
  }

  private close(): string {
    if (this.open === undefined) return '';
    this.open = undefined;
    return event('content_block_stop', { type: 'content_block_stop', index: this.index });
  }

  private begin(kind: 'thinking' | 'redacted_thinking' | 'text' | 'tool_use', block: Json): string {
    const closing = this.close();
    this.index++;
    this.open = kind;
    return closing + event('content_block_start', { type: 'content_block_start', index: this.index, content_block: block });
  }

  /** SSE text for one canonical chunk (possibly empty). */
  chunk(chunk: ChatChunk): string {
    let out = this.start();
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta;
    const reasoning = delta.reasoning_content ?? delta.reasoning ?? '';
    const details = delta.reasoning_details ?? [];
    const detailIndex = details[0]?.index;
    if (reasoning) {
      if (this.open !== 'thinking' || (detailIndex !== undefined && detailIndex !== this.thinkingDetail)) {
        out += this.begin('thinking', { type: 'thinking', thinking: '' });
        this.thinkingDetail = detailIndex;
      }
      out += event('content_block_delta', {
        type: 'content_block_delta',
        index: this.index,
        delta: { type: 'thinking_delta', thinking: reasoning },
      });
    }
    for (const detail of details) {
      if (detail.type === 'reasoning.text' && detail.signature) {
        // The signature closes its thinking block (Anthropic sends it last, as signature_delta).
        if (this.open !== 'thinking') {
          out += this.begin('thinking', { type: 'thinking', thinking: '' });
          this.thinkingDetail = detail.index;
        }
        out += event('content_block_delta', {
          type: 'content_block_delta',
          index: this.index,
          delta: { type: 'signature_delta', signature: detail.signature },
        });
      } else if (detail.type === 'reasoning.encrypted' && detail.data !== undefined) {
        out += this.begin('redacted_thinking', { type: 'redacted_thinking', data: detail.data });
      }
    }
    if (delta.content) {
      if (this.open !== 'text') out += this.begin('text', { type: 'text', text: '' });
      out += event('content_block_delta', {
        type: 'content_block_delta',
        index: this.index,
        delta: { type: 'text_delta', text: delta.content },
      });
    }
    for (const call of delta.tool_calls ?? []) {
      const toolIndex = call.index;
      if (!this.toolBlocks.has(toolIndex)) {
        const block = { type: 'tool_use', id: call.id ?? `toolu_${this.id}_${toolIndex}`, name: call.function?.name ?? '', input: {} };
        out += this.begin('tool_use', block);
        this.toolBlocks.set(toolIndex, this.index);
      }
      if (call.function?.arguments) {
        out += event('content_block_delta', {
          type: 'content_block_delta',
          index: this.toolBlocks.get(toolIndex),
          delta: { type: 'input_json_delta', partial_json: call.function.arguments },
        });
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return out;
  }

  /** The end: close the open block, then message_delta with the stop reason and usage, then message_stop. */
  end(usageChunk: ChatChunk | undefined): string {
    const usage = anthropicUsage(usageChunk?.usage);
    return (
      this.start() +
      this.close() +
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.finish) ?? 'end_turn', stop_sequence: null },
        usage,
      }) +
      event('message_stop', { type: 'message_stop' })
    );
  }

  /** A failure after the first byte: Anthropic's in-stream error event. */
  error(error: AgoraError): string {
    return this.start() + event('error', { type: 'error', error: { type: anthropicErrorType(error.status), message: error.message } });
  }
}
