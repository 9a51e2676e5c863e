/**
 * The pass-through form of an OpenAI-compatible upstream's chunk, for a client on the OpenAI surface:
 * the upstream's own text with only the fields the gateway changes spliced in, so the chunk is not
 * parsed and re-serialised. It renders exactly what `JSON.stringify` of the full path's object would
 * (providers/openai-passthrough.ts hands one out only for text it has checked is in that form); the
 * lifecycle sets `id`, `model` and `provider` on it as on a parsed chunk.
 */
import type { ChatChunk, ChatChunkChoice } from './chat-types.js';

/** One content chunk, kept as the upstream's text around its `id` and `model` values. */
export class RawChunk {
  provider: string | undefined;

  constructor(
    public id: string,
    public model: string,
    /** The members between `"id":…,` and `"model":` (each ending with a comma). */
    private readonly middle: string,
    /** Everything after the model's value up to (not including) the closing brace. */
    private readonly tail: string,
    public readonly choices: ChatChunkChoice[],
  ) {}

  /** The `data:` frame the full path would send for this chunk (`provider`, absent upstream, goes last). */
  frame(): string {
    const provider = this.provider === undefined ? '' : `,"provider":${JSON.stringify(this.provider)}`;
    return `data: {"id":${JSON.stringify(this.id)},${this.middle}"model":${JSON.stringify(this.model)}${this.tail}${provider}}\n\n`;
  }

  /** Typed as the canonical chunk for the lifecycle, which reads and sets only the fields above. */
  asChunk(): ChatChunk {
    return this as unknown as ChatChunk;
  }
}
