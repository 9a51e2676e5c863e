/**
 * The adapter for every OpenAI-compatible upstream (DeepSeek, DashScope, Moonshot, MiniMax, Z.ai,
 * OpenAI, vLLM, SGLang, Ollama, llama.cpp …): one keep-alive undici pool per provider, with
 * connect, first-byte and idle deadlines from the provider's config.
 */
import { Pool } from 'undici';
import type { ResolvedProvider } from '../../config/types.js';
import { reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../spec/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../spec/chat-event.js';
import type { AdapterCall, ProviderAdapter } from '../../spec/provider-adapter.js';
import type { CancelSignal } from '../../lib/cancel.js';
import { HttpCall } from '../../lib/http-call.js';
import { httpStatusError, malformedResponse } from './errors.js';
import { chatBody, embeddingBody, requestHeaders } from './request.js';
import { chatResult, embeddingResult } from './response.js';
import { completionAsEvents, readChatStream } from './stream.js';

export class OpenAICompatibleAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private pool: Pool | undefined;
  private readonly origin: string;
  private readonly pathPrefix: string;
  private readonly headers: Record<string, string>;

  constructor(readonly provider: ResolvedProvider) {
    const url = new URL(provider.baseUrl);
    this.origin = url.origin;
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.headers = requestHeaders(provider);
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const http = this.start('/chat/completions', chatBody(call.request, call.upstreamModel, this.provider, false), call.signal);
    const text = await this.successBody(http);
    return chatResult(text, this.provider.name, reasoningOf(call.request.body)?.exclude === true);
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const http = this.start('/chat/completions', chatBody(call.request, call.upstreamModel, this.provider, true), call.signal);
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    const contentType = String(http.responseHeaders['content-type'] ?? '');
    if (contentType.includes('application/json')) {
      yield* completionAsEvents(await http.text(), this.provider.name);
      return;
    }
    yield* readChatStream(http.body(), this.provider.name, this.provider.apiKey, reasoningOf(call.request.body)?.exclude === true);
  }

  async embed(call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const http = this.start('/embeddings', embeddingBody(call.request, call.upstreamModel), call.signal);
    return embeddingResult(await this.successBody(http), this.provider.name);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }

  private start(path: string, body: string, signal: CancelSignal): HttpCall {
    const timeouts = this.provider.timeouts;
    return new HttpCall({
      path: this.pathPrefix + path,
      method: 'POST',
      headers: this.headers,
      body,
      signal,
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
      providerName: this.provider.name,
    }).start(this.getPool());
  }

  private async successBody(http: HttpCall): Promise<string> {
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    const text = await http.text();
    if (text.length === 0) throw malformedResponse(this.provider.name, 'empty body');
    return text;
  }

  private getPool(): Pool {
    this.pool ??= new Pool(this.origin, {
      connections: this.provider.maxConnections,
      keepAliveTimeout: 30_000,
      connect: { timeout: this.provider.timeouts.connectMs },
      headersTimeout: this.provider.timeouts.firstByteMs,
      bodyTimeout: this.provider.timeouts.idleMs,
    });
    return this.pool;
  }
}

function retryAfter(http: HttpCall): string | undefined {
  const value = http.responseHeaders['retry-after'];
  return Array.isArray(value) ? value[0] : value;
}

export function createOpenAICompatibleAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new OpenAICompatibleAdapter(provider);
}
