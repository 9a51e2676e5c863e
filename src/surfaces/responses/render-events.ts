/**
 * Canonical stream chunks → the Responses API's event sequence (platform.openai.com/docs/api-reference/responses-streaming):
 * `response.created`, `response.in_progress`, then per output item in the order it appears
 * `response.output_item.added` … its deltas (`response.reasoning_text.delta`,
 * `response.output_text.delta`, `response.function_call_arguments.delta`) … its `.done` events and
 * `response.output_item.done`, and last `response.completed` (or `response.incomplete`) carrying
 * the whole Response. A failure after the first byte is an `error` event then `response.failed`.
 * Every event has a `sequence_number`.
 */
import { eventFrame } from '../../http/sse-writer.js';
import type { ChatChunk, ReasoningDetail, UsageBody } from '../../contract/chat-types.js';
import type { AgoraError } from '../../contract/errors.js';
import type { StreamEncoder } from '../surface.js';
import type { ResponsesContext } from './parse-request.js';
import {
  failedResponse,
  functionCallItem,
  messageItem,
  reasoningItem,
  responseObject,
  responsesUsage,
  statusOf,
} from './render-response.js';

type Json = Record<string, unknown>;

interface OpenItem {
  kind: 'reasoning' | 'message' | 'function_call';
  index: number;
  id: string;
  text: string;
  /** For function calls. */
  callId?: string;
  name?: string;
  details?: ReasoningDetail[];
  done: boolean;
}

export class ResponsesEventEncoder implements StreamEncoder {
  private sequence = 0;
  private started = false;
  private readonly items: OpenItem[] = [];
  private reasoning: OpenItem | undefined;
  private message: OpenItem | undefined;
  private readonly calls = new Map<number, OpenItem>();
  private finish: string | null = null;
  private readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly context: ResponsesContext,
    /** Told the final Response (to store it) once it is complete. */
    private readonly onComplete: (response: Json) => void,
  ) {}

  private event(type: string, payload: Json): string {
    return eventFrame(type, { type, sequence_number: this.sequence++, ...payload });
  }

  private snapshot(status: string, usage: Json | null = null): Json {
    return responseObject(
      { id: this.id, model: this.model, createdAt: this.createdAt, status, incomplete: null, error: null, output: [], usage },
      this.context,
    );
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = this.snapshot('in_progress');
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  private open(kind: OpenItem['kind'], id: string, extra: Partial<OpenItem> = {}): { item: OpenItem; frames: string } {
    const item: OpenItem = { kind, index: this.items.length, id, text: '', done: false, ...extra };
    this.items.push(item);
    let added: Json;
    let frames = '';
    if (kind === 'reasoning') added = { type: 'reasoning', id: `rs_${this.id}`, summary: [], content: [] };
    else if (kind === 'message') added = { type: 'message', id: `msg_${this.id}`, status: 'in_progress', role: 'assistant', content: [] };
    else added = { type: 'function_call', id, call_id: item.callId, name: item.name, arguments: '', status: 'in_progress' };
    frames += this.event('response.output_item.added', { output_index: item.index, item: added });
    if (kind === 'reasoning') {
      frames += this.event('response.content_part.added', {
        item_id: added.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      });
    } else if (kind === 'message') {
      frames += this.event('response.content_part.added', {
        item_id: added.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
    }
    return { item, frames };
  }

  /** The finished form of an item, as in the final Response. */
  private finished(item: OpenItem): Json {
    if (item.kind === 'reasoning') return reasoningItem(this.id, item.text, item.details ?? [], this.context);
    if (item.kind === 'message') return messageItem(this.id, item.text, null);
    return functionCallItem(item.callId ?? '', item.name ?? '', item.text);
  }

  private close(item: OpenItem | undefined): string {
    if (!item || item.done) return '';
    item.done = true;
    const done = this.finished(item);
    let frames = '';
    if (item.kind === 'reasoning') {
      frames += this.event('response.reasoning_text.done', {
        item_id: done.id,
        output_index: item.index,
        content_index: 0,
        text: item.text,
      });
      frames += this.event('response.content_part.done', {
        item_id: done.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'reasoning_text', text: item.text },
      });
    } else if (item.kind === 'message') {
      frames += this.event('response.output_text.done', {
        item_id: done.id,
        output_index: item.index,
        content_index: 0,
        text: item.text,
        logprobs: [],
      });
      frames += this.event('response.content_part.done', {
        item_id: done.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'output_text', text: item.text, annotations: [], logprobs: [] },
      });
    } else {
      frames += this.event('response.function_call_arguments.done', { item_id: done.id, output_index: item.index, arguments: item.text });
    }
    return frames + this.event('response.output_item.done', { output_index: item.index, item: done });
  }

  chunk(chunk: ChatChunk): string {
    let out = this.start();
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta;
    const reasoning = delta.reasoning ?? delta.reasoning_content ?? '';
    const details = delta.reasoning_details ?? [];
    if (reasoning !== '' || details.length > 0) {
      if (!this.reasoning || this.reasoning.done) {
        const opened = this.open('reasoning', `rs_${this.id}`, { details: [] });
        this.reasoning = opened.item;
        out += opened.frames;
      }
      const item = this.reasoning;
      item.details!.push(...details);
      if (reasoning !== '') {
        item.text += reasoning;
        out += this.event('response.reasoning_text.delta', {
          item_id: `rs_${this.id}`,
          output_index: item.index,
          content_index: 0,
          delta: reasoning,
        });
      }
    }
    if (delta.content) {
      if (!this.message) {
        out += this.close(this.reasoning);
        const opened = this.open('message', `msg_${this.id}`);
        this.message = opened.item;
        out += opened.frames;
      }
      this.message.text += delta.content;
      out += this.event('response.output_text.delta', {
        item_id: `msg_${this.id}`,
        output_index: this.message.index,
        content_index: 0,
        delta: delta.content,
        logprobs: [],
      });
    }
    for (const call of delta.tool_calls ?? []) {
      let item = this.calls.get(call.index);
      if (!item) {
        out += this.close(this.reasoning) + this.close(this.message);
        const callId = call.id ?? `call_${this.id}_${call.index}`;
        const opened = this.open('function_call', `fc_${callId}`, { callId, name: call.function?.name ?? '' });
        item = opened.item;
        this.calls.set(call.index, item);
        out += opened.frames;
      }
      const args = call.function?.arguments;
      if (args) {
        item.text += args;
        out += this.event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta: args });
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return out;
  }

  end(usageChunk: ChatChunk): string {
    let out = this.start();
    for (const item of this.items) out += this.close(item);
    const { status, incomplete } = statusOf(this.finish);
    const response = responseObject(
      {
        id: this.id,
        model: this.model,
        createdAt: this.createdAt,
        status,
        incomplete,
        error: null,
        output: this.items.map((item) => this.finished(item)),
        usage: responsesUsage(usageChunk.usage as UsageBody | null | undefined),
        provider: typeof usageChunk.provider === 'string' ? usageChunk.provider : undefined,
      },
      this.context,
    );
    this.onComplete(response);
    return out + this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }

  error(error: AgoraError): string {
    const response = failedResponse(
      { id: this.id, model: this.model, createdAt: this.createdAt, output: this.items.map((item) => this.finished(item)), usage: null },
      error,
      this.context,
    );
    return (
      this.start() +
      this.event('error', { code: error.code, message: error.message, param: error.param }) +
      this.event('response.failed', { response })
    );
  }
}
