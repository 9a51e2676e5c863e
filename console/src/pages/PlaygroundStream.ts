/**
 * One streamed chat completion through the gateway: POST /v1/chat/completions with `stream: true`
 * and the usage chunk asked for, its server-sent events read as they arrive. The answer's text and
 * its reasoning (`delta.reasoning`) are reported apart; the gateway's headers name the provider that
 * answered and how many attempts it took. The key goes in the Authorization header, never a URL.
 */
import { storedKey } from '../api.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cost?: number;
  completion_tokens_details?: { reasoning_tokens?: number };
  prompt_tokens_details?: { cached_tokens?: number };
}

export interface StreamMeta {
  provider: string | null;
  attempts: string | null;
  generationId: string | null;
}

export interface StreamHandlers {
  onMeta(meta: StreamMeta): void;
  onDelta(delta: { content?: string; reasoning?: string }): void;
  onUsage(usage: StreamUsage): void;
  onFinish(reason: string): void;
}

/** An error the gateway answered (its status and message), or one reported inside the stream. */
export class ChatError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null; reasoning?: string | null }; finish_reason?: string | null }>;
  usage?: StreamUsage | null;
  error?: { message?: string; code?: number | string };
}

/** The `data:` payloads of complete events in `buffer`, and what is left over. */
export function splitEvents(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  const parts = buffer.split(/\r?\n\r?\n/);
  const rest = parts.pop() ?? '';
  for (const part of parts) {
    const data = part
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) events.push(data);
  }
  return { events, rest };
}

export async function streamChat(
  request: { model: string; messages: ChatMessage[]; only?: string; maxTokens?: number; temperature?: number },
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-title': 'Agora console playground' };
  const key = storedKey();
  if (key) headers.authorization = `Bearer ${key}`;
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.only) body.provider = { only: [request.only], allow_fallbacks: false };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  const response = await fetch('/v1/chat/completions', { method: 'POST', headers, body: JSON.stringify(body), signal });
  handlers.onMeta({
    provider: response.headers.get('x-agora-provider'),
    attempts: response.headers.get('x-agora-attempts'),
    generationId: response.headers.get('x-agora-generation-id'),
  });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    let message = `${response.status} ${response.statusText}`;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      if (parsed.error?.message) message = parsed.error.message;
    } catch {
      if (text) message = text.slice(0, 500);
    }
    throw new ChatError(message, response.status);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const { events, rest } = splitEvents(buffer);
    buffer = rest;
    for (const data of events) {
      if (data === '[DONE]') return;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        continue; // not an event this page reads
      }
      if (chunk.error)
        throw new ChatError(chunk.error.message ?? 'The stream failed.', typeof chunk.error.code === 'number' ? chunk.error.code : null);
      const choice = chunk.choices?.[0];
      const delta = choice?.delta;
      if (delta && (delta.content || delta.reasoning)) {
        handlers.onDelta({
          ...(delta.content ? { content: delta.content } : {}),
          ...(delta.reasoning ? { reasoning: delta.reasoning } : {}),
        });
      }
      if (choice?.finish_reason) handlers.onFinish(choice.finish_reason);
      if (chunk.usage) handlers.onUsage(chunk.usage);
    }
  }
}
