/**
 * The two renderings the fast-path tests compare: what a client on the OpenAI surface receives for
 * an upstream's stream or whole answer through the pass-through path (providers/openai-passthrough.ts)
 * and through the full parse, rendered as the lifecycle renders them (the gateway's id, the requested
 * model, the provider, the usage's cost), with what the lifecycle records from each.
 */
import { expect } from 'vitest';
import type { ChatChunk } from '../../src/contract/chat-event.js';
import { RawAnswer, RawChunk } from '../../src/contract/raw-chunk.js';
import { hasAnswer, outputBytes, withCost } from '../../src/lifecycle/call.js';
import { Secrets } from '../../src/lib/secrets.js';
import { readChatStream } from '../../src/providers/openai-compatible/stream.js';
import { chatResult } from '../../src/providers/openai-compatible/response.js';
import { passThroughAnswer, rawResult } from '../../src/providers/openai-passthrough.js';
import { OPENAI_SURFACE } from '../../src/surfaces/openai.js';

const secrets = new Secrets(['sk-test']);
const COST = {
  cost: 0.0000123,
  cost_details: { upstream_inference_prompt_cost: 0.000003, upstream_inference_completions_cost: 0.0000093 },
};

async function* pieces(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

export interface Recorded {
  /** Output bytes delivered before the first event with output (what `trace.markFirstToken` sees), and in all. */
  bytesBeforeFirstOutput: number | undefined;
  bytes: number;
  usage: unknown;
  finish: unknown;
  /** The first chunk's upstream id. */
  upstream: unknown;
}

export interface Rendered {
  bytes: string;
  /** What the lifecycle keeps from the events (the fast path merges a read's content chunks into one event). */
  recorded: Recorded;
  /** Chunks that took the pass-through path. */
  raw: number;
}

/** What the client receives for a stream, as lifecycle/stream.ts renders it on the OpenAI surface. */
export async function renderStream(sse: string, passthrough: boolean, exclude: boolean, size: number): Promise<Rendered> {
  const encoder = OPENAI_SURFACE.encoder('gen-test', 'acme/model', 0);
  let bytes = '';
  let raw = 0;
  const recorded: Recorded = { bytesBeforeFirstOutput: undefined, bytes: 0, usage: undefined, finish: undefined, upstream: undefined };
  let usageChunk: ChatChunk | undefined;
  try {
    for await (const event of readChatStream(pieces(sse, size), 'Acme', secrets, exclude, passthrough)) {
      if (event.chunk instanceof RawChunk) raw += event.chunk.pieces.length;
      if (event.hasOutput) recorded.bytesBeforeFirstOutput ??= recorded.bytes;
      recorded.bytes += outputBytes(event);
      if (event.usage) recorded.usage = event.usage;
      if (event.finishReason) recorded.finish = event.finishReason;
      recorded.upstream ??= event.chunk.id;
      const chunk = event.chunk;
      chunk.id = 'gen-test';
      chunk.model = 'acme/model';
      chunk.provider = 'Acme';
      if (event.usage && chunk.choices.length === 0) {
        usageChunk = chunk;
        continue;
      }
      bytes += encoder.chunk(chunk);
    }
    const final = usageChunk ?? {
      id: 'gen-test',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'acme/model',
      provider: 'Acme',
      choices: [],
      usage: null,
    };
    final.usage = withCost(final.usage, COST);
    bytes += encoder.end(final);
  } catch (error) {
    bytes += `error: ${(error as Error).message}`;
  }
  return { bytes, recorded, raw };
}

export async function expectSameStream(sse: string): Promise<number> {
  let raw = 0;
  for (const exclude of [false, true]) {
    for (const size of [1 << 20, 7]) {
      const full = await renderStream(sse, false, exclude, size);
      const fast = await renderStream(sse, true, exclude, size);
      expect(full.raw).toBe(0);
      expect(fast.bytes).toBe(full.bytes);
      expect(fast.recorded).toEqual(full.recorded);
      raw = Math.max(raw, fast.raw);
    }
  }
  return raw;
}

/** What the client receives for a whole answer, as lifecycle/chat.ts renders it on the OpenAI surface, and what it records. */
export function renderAnswer(text: string, passthrough: boolean, exclude: boolean): { bytes: string; recorded: unknown; raw: boolean } {
  try {
    const raw = passthrough ? passThroughAnswer(text) : undefined;
    const result = raw ? rawResult(raw) : chatResult(text, 'Acme', secrets, exclude);
    const body = result.body;
    const recorded = { usage: result.usage, finish: result.finishReason, upstream: result.upstreamId, output: hasAnswer(body.choices) };
    body.id = 'gen-test';
    body.model = 'acme/model';
    body.provider = 'Acme';
    body.usage = withCost(body.usage, COST);
    const bytes = body instanceof RawAnswer ? body.render() : JSON.stringify(OPENAI_SURFACE.answer(body));
    return { bytes, recorded, raw: raw !== undefined };
  } catch (error) {
    return { bytes: `error: ${(error as Error).message}`, recorded: undefined, raw: false };
  }
}

/** Both paths give the same bytes and records; returns whether the fast path took it. */
export function expectSameAnswer(text: string): boolean {
  let taken = false;
  for (const exclude of [false, true]) {
    const full = renderAnswer(text, false, exclude);
    const fast = renderAnswer(text, true, exclude);
    expect(full.raw).toBe(false);
    expect(fast.bytes).toBe(full.bytes);
    expect(fast.recorded).toEqual(full.recorded);
    taken ||= fast.raw;
  }
  return taken;
}

/** An OpenAI-compatible upstream's whole answer (compact, OpenAI's member order) with `fields` added or replaced. */
export function wholeAnswer(
  fields: Record<string, unknown> = {},
  message: Record<string, unknown> = { role: 'assistant', content: 'Hi there' },
): string {
  return JSON.stringify({
    id: 'up-1',
    object: 'chat.completion',
    created: 1718000000,
    model: 'up',
    choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    ...fields,
  });
}
