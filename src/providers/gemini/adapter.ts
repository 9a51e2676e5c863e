/**
 * Google Gemini's native API (generativelanguage.googleapis.com/v1beta): `generateContent`,
 * `streamGenerateContent?alt=sse` and `batchEmbedContents`, the key in the `x-goog-api-key` header
 * (never in the URL, so it cannot reach a log line), translated to and from the canonical shapes.
 */
import { Pool } from 'undici';
import type { ResolvedProvider } from '../../config/types.js';
import type { CancelSignal } from '../../lib/cancel.js';
import { HttpCall } from '../../lib/http-call.js';
import type { ChatRequest, EmbeddingRequest } from '../../spec/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../spec/chat-event.js';
import type { AdapterCall, ProviderAdapter } from '../../spec/provider-adapter.js';
import { httpStatusError, malformedResponse } from '../upstream-errors.js';
import { geminiEmbedRequest, geminiRequest } from './request.js';
import { chatResultFromGemini, embeddingResultFromGemini } from './response.js';
import { readGeminiStream } from './stream.js';

export class GeminiAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private pool: Pool | undefined;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;

  constructor(readonly provider: ResolvedProvider) {
    const url = new URL(provider.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json' };
    if (provider.apiKey) this.headers['x-goog-api-key'] = provider.apiKey;
    for (const [name, value] of Object.entries(provider.headers)) this.headers[name.toLowerCase()] = value;
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const { body, dropped } = geminiRequest(call.request, this.provider);
    const text = await this.body(await this.start(`/models/${encodeURIComponent(call.upstreamModel)}:generateContent`, body, call.signal));
    return { ...chatResultFromGemini(text, this.provider.name, call.upstreamModel), dropped };
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const { body, dropped } = geminiRequest(call.request, this.provider);
    const http = this.start(`/models/${encodeURIComponent(call.upstreamModel)}:streamGenerateContent?alt=sse`, body, call.signal);
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    let first = true;
    for await (const event of readGeminiStream(http.body(), this.provider.name, this.provider.apiKey, call.upstreamModel)) {
      if (first && dropped.length > 0) event.dropped = dropped;
      first = false;
      yield event;
    }
  }

  async embed(call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const text = await this.body(this.start(`/models/${encodeURIComponent(call.upstreamModel)}:batchEmbedContents`, geminiEmbedRequest(call.request, call.upstreamModel), call.signal));
    return embeddingResultFromGemini(text, this.provider.name, call.upstreamModel, call.request.body.encoding_format);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }

  private async body(http: HttpCall): Promise<string> {
    const status = await http.response();
    if (status >= 300) throw httpStatusError(status, await http.text(1 << 20), this.provider.name, this.provider.apiKey, retryAfter(http));
    const text = await http.text();
    if (text.length === 0) throw malformedResponse(this.provider.name, 'empty body');
    return text;
  }

  private start(path: string, body: Record<string, unknown>, signal: CancelSignal): HttpCall {
    const timeouts = this.provider.timeouts;
    this.pool ??= new Pool(this.origin, {
      connections: this.provider.maxConnections, keepAliveTimeout: 30_000, connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs,
    });
    return new HttpCall({
      path: this.prefix + path, method: 'POST', headers: this.headers, body: JSON.stringify(body), signal,
      headersTimeout: timeouts.firstByteMs, bodyTimeout: timeouts.idleMs, providerName: this.provider.name,
    }).start(this.pool);
  }
}

function retryAfter(http: HttpCall): string | undefined {
  const value = http.responseHeaders['retry-after'];
  return Array.isArray(value) ? value[0] : value;
}

export function createGeminiAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new GeminiAdapter(provider);
}
