/**
 * What an adapter's stream yields. The canonical chunk is OpenAI's `chat.completion.chunk`
 * (the lingua franca of open-model servers), so fields we do not model (logprobs,
 * system_fingerprint, refusal, vendor extras) pass through unharmed; the adapter lifts out what
 * the gateway itself needs (usage, finish reason) so the handler never re-scans a chunk.
 */
import type { ChatChunk, ChatCompletion, EmbeddingList } from './chat-types.js';
import type { FinishReason } from './finish-reason.js';

export type { ChatChunk, ChatChunkChoice, ChatCompletion, ChatDelta } from './chat-types.js';
import type { Usage } from './usage.js';

export type ChatEvent = {
  type: 'chunk';
  chunk: ChatChunk;
  /** Present when this chunk carried usage. */
  usage?: Usage;
  /** Present when this chunk ended a choice. */
  finishReason?: FinishReason;
  /** Whether the chunk carries generated output (text, reasoning or tool-call deltas). */
  hasOutput: boolean;
  /** On the first event only: request parameters this upstream could not honour and left out. */
  dropped?: string[];
  /** On the first event only: parameters sent other than asked (`reasoning.effort=xhigh->high`). */
  adjusted?: string[];
};

/** A complete, non-streamed answer: OpenAI's `chat.completion` object plus what was lifted from it. */
export interface ChatResult {
  body: ChatCompletion;
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  /** The upstream's own response id, kept for reconciliation. */
  upstreamId: string | undefined;
  /** Request parameters this upstream could not honour and left out (reported in a header). */
  dropped?: string[];
  /** Parameters sent other than asked, as `name=asked->sent` (reported in `x-agora-adjusted-parameters`). */
  adjusted?: string[];
}

export interface EmbeddingResult {
  body: EmbeddingList;
  usage: Usage | undefined;
}
