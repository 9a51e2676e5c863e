/**
 * conformance: not applicable — the local adapter has no wire format to replay from fixtures; it runs
 * real llama.cpp inference on ../shared/models/llama-2-tiny-random.gguf (random weights: the test
 * checks the inference path, not the text). Skipped with a message where that file or
 * node-llama-cpp is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { addLocalModel } from '../../config/local.js';
import { CancelSource, NEVER_CANCELLED } from '../../lib/cancel.js';
import type { ChatEvent } from '../../contract/chat-event.js';
import { parseChatRequest, type ChatRequest } from '../../contract/chat-request.js';
import { LocalAdapter, localModelId } from './adapter.js';

const MODEL = join(import.meta.dirname, '../../../../shared/models/llama-2-tiny-random.gguf');
const runtime = await import('node-llama-cpp' as string).then(
  () => true,
  () => false,
);
const ready = existsSync(MODEL) && runtime;
if (!ready)
  console.warn(
    `local adapter tests skipped: ${existsSync(MODEL) ? 'node-llama-cpp is not installed' : `${MODEL} is absent (../shared is only in CI and sessions)`}`,
  );

describe.skipIf(!ready)('local llama.cpp adapter', () => {
  const id = localModelId(MODEL);
  let adapter: LocalAdapter;
  beforeAll(() => {
    const config = loadConfig({ text: 'bundled_catalog: false\n', env: {} });
    addLocalModel(config, MODEL, { threads: 1, sequences: 1, contextSize: 256 });
    adapter = new LocalAdapter(config.providers.get('local')!);
  });
  afterAll(() => adapter?.close());
  const request = (content: string, maxTokens = 8, extra: Record<string, unknown> = {}): ChatRequest =>
    parseChatRequest({ model: id, messages: [{ role: 'user', content }], max_tokens: maxTokens, stream: true, ...extra });

  it('names models after their file', () => {
    expect(localModelId('/models/Qwen3-0.6B-Q8_0.gguf')).toBe('local/qwen3-0.6b-q8_0');
    expect(id).toBe('local/llama-2-tiny-random');
  });

  it('streams real tokens with usage and a length finish at max_tokens', async () => {
    const events: ChatEvent[] = [];
    for await (const event of adapter.chatStream({ request: request('Hello'), upstreamModel: id, signal: NEVER_CANCELLED }))
      events.push(event);
    const text = events.map((event) => event.chunk.choices[0]?.delta.content ?? '').join('');
    expect(events.filter((event) => event.hasOutput).length).toBeGreaterThan(1);
    expect(text.length).toBeGreaterThan(0);
    expect(events.find((event) => event.finishReason)?.finishReason?.unified).toBe('length');
    const usage = events.find((event) => event.usage)!.usage!;
    expect(usage.completionTokens).toBe(8);
    expect(usage.promptTokens).toBeGreaterThan(0);
  });

  it('queues a request beyond its sequences and cancels one whose client left, freeing the sequence', async () => {
    const cancel = new CancelSource();
    const first = adapter.chatStream({ request: request('one', 200), upstreamModel: id, signal: cancel })[Symbol.asyncIterator]();
    await first.next();
    const second = adapter.chat({ request: request('two', 4), upstreamModel: id, signal: NEVER_CANCELLED }); // waits for the only sequence
    cancel.cancel();
    await expect(
      (async () => {
        for (let next = await first.next(); !next.done; next = await first.next());
      })(),
    ).rejects.toMatchObject({ status: 499 });
    const answer = await second;
    expect(answer.usage?.completionTokens).toBe(4);
  });

  it('refuses parameters a local text model cannot honour', async () => {
    const withTools = request('x', 8, { tools: [{ type: 'function', function: { name: 'f' } }] });
    await expect(adapter.chat({ request: withTools, upstreamModel: id, signal: NEVER_CANCELLED })).rejects.toMatchObject({
      status: 400,
      param: 'tools',
    });
  });
});
