/** Gemini `streamGenerateContent?alt=sse` → canonical chunks, then one usage chunk from the last usageMetadata. */
import { SseReader } from '../../lib/sse-reader.js';
import type { ChatChunk, ChatEvent } from '../../contract/chat-event.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import type { Secrets } from '../../lib/secrets.js';
import { inBandError, malformedResponse } from '../upstream-errors.js';
import { chunkFromGemini, usageToOpenAI } from './response.js';

export async function* readGeminiStream(
  body: AsyncIterable<Buffer>,
  providerName: string,
  secrets: Secrets,
  model: string,
): AsyncGenerator<ChatEvent> {
  const reader = new SseReader();
  let metadata: unknown;
  let calls = 0;
  let id = '';
  let version = model;
  let first = true;
  for await (const bytes of body) {
    for (const sse of reader.push(bytes)) {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(sse.data) as Record<string, unknown>;
      } catch {
        throw malformedResponse(providerName, 'a stream event is not valid JSON');
      }
      if (data.error) throw inBandError(data, providerName, secrets);
      if (data.usageMetadata) metadata = data.usageMetadata;
      const { chunk, finish, hasOutput, calls: added } = chunkFromGemini(data, calls, model);
      calls += added;
      id = chunk.id ?? id;
      version = chunk.model ?? version;
      if (first) {
        chunk.choices[0]!.delta = { role: 'assistant', ...chunk.choices[0]!.delta };
        first = false;
      }
      const event: ChatEvent = { type: 'chunk', chunk, hasOutput };
      const unified = finishReasonFromOpenAI(finish);
      if (unified) event.finishReason = unified;
      yield event;
    }
  }
  if (reader.hasPartialEvent) throw malformedResponse(providerName, 'the stream ended in the middle of an event');
  const usage = usageToOpenAI(metadata);
  if (usage) {
    const final: ChatChunk = {
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: version,
      choices: [],
      usage,
    };
    const event: ChatEvent = { type: 'chunk', chunk: final, hasOutput: false };
    const parsed = usageFromOpenAI(usage);
    if (parsed) event.usage = parsed;
    yield event;
  }
}
