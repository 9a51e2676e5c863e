/**
 * Anthropic's native Messages API (api.anthropic.com/v1/messages): `x-api-key` and
 * `anthropic-version` headers on the shared transport (`upstream-http.ts`), requests and answers
 * translated to and from the canonical OpenAI shapes (request.ts, response.ts, stream.ts).
 * Anthropic has no embeddings API.
 */
import type { ResolvedProvider } from '../../config/types.js';
import type { ChatRequest, EmbeddingRequest } from '../../contract/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import { invalidRequest } from '../../contract/errors.js';
import type { AdapterCall, ProviderAdapter } from '../../contract/provider-adapter.js';
import { UpstreamHttp } from '../upstream-http.js';
import { anthropicRequest } from './request.js';
import { chatResultFromAnthropic } from './response.js';
import { readAnthropicStream } from './stream.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export class AnthropicAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private readonly http: UpstreamHttp;

  constructor(readonly provider: ResolvedProvider) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
    if (provider.apiKey) headers['x-api-key'] = provider.apiKey;
    this.http = new UpstreamHttp(provider, headers);
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const { body, dropped } = anthropicRequest(call.request, call.upstreamModel, this.provider, false, undefined);
    const text = await this.http.body(this.http.post('/messages', JSON.stringify(body), call.signal));
    return { ...chatResultFromAnthropic(text, this.provider.name), dropped };
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const { body, dropped } = anthropicRequest(call.request, call.upstreamModel, this.provider, true, undefined);
    const http = this.http.post('/messages', JSON.stringify(body), call.signal);
    await this.http.check(http);
    let first = true;
    for await (const event of readAnthropicStream(http.body(), this.provider.name, this.provider.secrets)) {
      if (first && dropped.length > 0) event.dropped = dropped;
      first = false;
      yield event;
    }
  }

  embed(_call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    return Promise.reject(invalidRequest(`${this.provider.name} has no embeddings API.`, 'model', 'unsupported_operation'));
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export function createAnthropicAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new AnthropicAdapter(provider);
}
