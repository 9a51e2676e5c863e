/**
 * The one interface every provider adapter implements (specification v1). The request handler
 * only ever holds a `ProviderAdapter`; it never imports a vendor module.
 */
import type { ResolvedProvider } from '../config/types.js';
import type { CancelSignal } from '../lib/cancel.js';
import type { ChatRequest, EmbeddingRequest } from './chat-request.js';
import type { ChatEvent, ChatResult, EmbeddingResult } from './chat-event.js';

export interface AdapterCall<Request> {
  request: Request;
  /** The upstream's own model name for this endpoint. */
  upstreamModel: string;
  /** Aborted when the client goes away or the gateway gives up on this attempt. */
  signal: CancelSignal;
  /**
   * The answer leaves in the upstream's own OpenAI shape (a client on the OpenAI surface): an adapter
   * may stream pass-through chunks, or return a pass-through answer (`RawChunk`, `RawAnswer` in
   * `contract/raw-chunk.ts`), rendering the same bytes.
   */
  passthrough?: boolean;
}

export interface ProviderAdapter {
  readonly specificationVersion: 'v1';
  readonly provider: ResolvedProvider;
  /** A whole answer; throws an `AgoraError` (usually `UpstreamError`) on failure. */
  chat(call: AdapterCall<ChatRequest>): Promise<ChatResult>;
  /**
   * A streamed answer. Failures before the first event are thrown from the first `next()`, so the
   * caller may fail over; later failures are thrown mid-iteration (the stream is then cut).
   * Ending without an event that carries a finish reason means the upstream stopped short.
   */
  chatStream(call: AdapterCall<ChatRequest>): AsyncIterable<ChatEvent>;
  embed(call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export type AdapterFactory = (provider: ResolvedProvider) => ProviderAdapter;
