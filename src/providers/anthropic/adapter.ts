/**
 * Anthropic's native Messages API (api.anthropic.com/v1/messages): one keep-alive undici pool,
 * `x-api-key` and `anthropic-version` headers, requests and answers translated to and from the
 * canonical OpenAI shapes (request.ts, response.ts, stream.ts). Anthropic has no embeddings API.
 */
import { Pool } from 'undici';
import type { ResolvedProvider } from '../../config/types.js';
import { HttpCall } from '../../lib/http-call.js';
import type { CancelSignal } from '../../lib/cancel.js';
import type { ChatRequest, EmbeddingRequest } from '../../spec/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../spec/chat-event.js';
import { invalidRequest } from '../../spec/errors.js';
import type { AdapterCall, ProviderAdapter } from '../../spec/provider-adapter.js';
import { httpStatusError, malformedResponse } from '../upstream-errors.js';
import { anthropicRequest } from './request.js';
import { chatResultFromAnthropic } from './response.js';
import { readAnthropicStream } from './stream.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export class AnthropicAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private pool: Pool | undefined;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(readonly provider: ResolvedProvider) {
    const url = new URL(provider.baseUrl);
    this.origin = url.origin;
    this.path = `${url.pathname.replace(/\/+$/, '')}/messages`;
    this.headers = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
    if (provider.apiKey) this.headers['x-api-key'] = provider.apiKey;
    for (const [name, value] of Object.entries(provider.headers)) this.headers[name.toLowerCase()] = value;
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const { body, dropped } = anthropicRequest(call.request, call.upstreamModel, this.provider, false, undefined);
    const http = this.start(body, call.signal);
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    const text = await http.text();
    if (text.length === 0) throw malformedResponse(this.provider.name, 'empty body');
    return { ...chatResultFromAnthropic(text, this.provider.name), dropped };
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const { body, dropped } = anthropicRequest(call.request, call.upstreamModel, this.provider, true, undefined);
    const http = this.start(body, call.signal);
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    let first = true;
    for await (const event of readAnthropicStream(http.body(), this.provider.name, this.provider.apiKey)) {
      if (first && dropped.length > 0) event.dropped = dropped;
      first = false;
      yield event;
    }
  }

  embed(_call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    return Promise.reject(invalidRequest(`${this.provider.name} has no embeddings API.`, 'model', 'unsupported_operation'));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }

  private start(body: Record<string, unknown>, signal: CancelSignal): HttpCall {
    const timeouts = this.provider.timeouts;
    this.pool ??= new Pool(this.origin, {
      connections: this.provider.maxConnections, keepAliveTimeout: 30_000, connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs,
    });
    return new HttpCall({
      path: this.path, method: 'POST', headers: this.headers, body: JSON.stringify(body), signal,
      headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs, providerName: this.provider.name,
    }).start(this.pool);
  }
}

function retryAfter(http: HttpCall): string | undefined {
  const value = http.responseHeaders['retry-after'];
  return Array.isArray(value) ? value[0] : value;
}

export function createAnthropicAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new AnthropicAdapter(provider);
}
