/**
 * The adapter for every OpenAI-compatible upstream (DeepSeek, DashScope, Moonshot, MiniMax, Z.ai,
 * OpenAI, vLLM, SGLang, Ollama, llama.cpp …): one keep-alive undici pool per provider, with
 * connect, first-byte and idle deadlines from the provider's config.
 */
import type { ResolvedProvider } from '../../config/types.js';
import { reasoningOf, type ChatRequest, type EmbeddingRequest } from '../../contract/chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import type { AdapterCall, ProviderAdapter } from '../../contract/provider-adapter.js';
import { UpstreamHttp } from '../upstream-http.js';
import { chatBody, embeddingBody, requestHeaders } from './request.js';
import { passThroughAnswer, rawResult } from '../openai-passthrough.js';
import { chatResult, embeddingResult } from './response.js';
import { completionAsEvents, readChatStream } from './stream.js';

export class OpenAICompatibleAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private readonly http: UpstreamHttp;

  constructor(readonly provider: ResolvedProvider) {
    this.http = new UpstreamHttp(provider, requestHeaders(provider));
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    const { text: body, adjusted } = chatBody(call.request, call.upstreamModel, this.provider, false);
    const text = await this.http.body(this.http.post('/chat/completions', body, call.signal));
    const raw = call.passthrough === true ? passThroughAnswer(text) : undefined;
    const result = raw
      ? rawResult(raw)
      : chatResult(text, this.provider.name, this.provider.secrets, reasoningOf(call.request.body)?.exclude === true);
    if (adjusted.length > 0) result.adjusted = adjusted;
    return result;
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const { text: body, adjusted } = chatBody(call.request, call.upstreamModel, this.provider, true);
    const http = this.http.post('/chat/completions', body, call.signal);
    await this.http.check(http);
    const contentType = String(http.responseHeaders['content-type'] ?? '');
    const events = contentType.includes('application/json')
      ? completionAsEvents(await http.text(), this.provider.name, this.provider.secrets)
      : readChatStream(
          http.body(),
          this.provider.name,
          this.provider.secrets,
          reasoningOf(call.request.body)?.exclude === true,
          call.passthrough === true,
        );
    let first = adjusted.length > 0;
    for await (const event of events) {
      if (first) event.adjusted = adjusted;
      first = false;
      yield event;
    }
  }

  async embed(call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    return embeddingResult(
      await this.http.body(this.http.post('/embeddings', embeddingBody(call.request, call.upstreamModel), call.signal)),
      this.provider.name,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export function createOpenAICompatibleAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new OpenAICompatibleAdapter(provider);
}
