/**
 * Google Gemini's native API (generativelanguage.googleapis.com/v1beta): `generateContent`,
 * `streamGenerateContent?alt=sse` and `batchEmbedContents` on the shared transport
 * (`upstream-http.ts`), the key in the `x-goog-api-key` header (never in the URL, so it cannot reach
 * a log line), translated to and from the canonical shapes.
 */
import type { ResolvedProvider } from '../../config/types.js';
import type { ChatRequest, EmbeddingRequest } from '../../contract/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import type { AdapterCall, ProviderAdapter } from '../../contract/provider-adapter.js';
import { UpstreamHttp } from '../upstream-http.js';
import { geminiEmbedRequest, geminiRequest } from './request.js';
import { chatResultFromGemini, embeddingResultFromGemini } from './response.js';
import { readGeminiStream } from './stream.js';

export class GeminiAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private readonly http: UpstreamHttp;

  constructor(readonly provider: ResolvedProvider) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (provider.apiKey) headers['x-goog-api-key'] = provider.apiKey;
    this.http = new UpstreamHttp(provider, headers);
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const { body, dropped } = geminiRequest(call.request, this.provider);
    const text = await this.http.body(
      this.http.post(`/models/${encodeURIComponent(call.upstreamModel)}:generateContent`, JSON.stringify(body), call.signal),
    );
    return { ...chatResultFromGemini(text, this.provider.name, call.upstreamModel, this.provider.secrets), dropped };
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const { body, dropped } = geminiRequest(call.request, this.provider);
    const http = this.http.post(
      `/models/${encodeURIComponent(call.upstreamModel)}:streamGenerateContent?alt=sse`,
      JSON.stringify(body),
      call.signal,
    );
    await this.http.check(http);
    let first = true;
    for await (const event of readGeminiStream(http.body(), this.provider.name, this.provider.secrets, call.upstreamModel)) {
      if (first && dropped.length > 0) event.dropped = dropped;
      first = false;
      yield event;
    }
  }

  async embed(call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    const body = JSON.stringify(geminiEmbedRequest(call.request, call.upstreamModel));
    const text = await this.http.body(
      this.http.post(`/models/${encodeURIComponent(call.upstreamModel)}:batchEmbedContents`, body, call.signal),
    );
    return embeddingResultFromGemini(
      text,
      this.provider.name,
      call.upstreamModel,
      call.request.body.encoding_format,
      this.provider.secrets,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export function createGeminiAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new GeminiAdapter(provider);
}
