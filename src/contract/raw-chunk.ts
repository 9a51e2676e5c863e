/**
 * The pass-through form of an OpenAI-compatible upstream's chunks, for a client on the OpenAI surface:
 * the upstream's own text with only the fields the gateway changes spliced in, so the chunks are not
 * parsed and re-serialised. It renders exactly what `JSON.stringify` of the full path's objects would
 * (providers/openai-passthrough.ts hands one out only for text it has checked is in that form); the
 * lifecycle sets `id`, `model` and `provider` on it as on a parsed chunk.
 *
 * One RawChunk carries a run of consecutive content chunks from one upstream read: the lifecycle
 * handles the run as one event (one pass through its bookkeeping, one write) and `frame()` renders
 * every chunk of it, each as its own `data:` frame, the same bytes as one event per chunk.
 */
import type { ChatChunk, ChatChunkChoice, ChatCompletion } from './chat-types.js';

/** One chunk's text around its `id` and `model` values. */
export interface RawPiece {
  /** The members between `"id":…,` and `"model":` (each ending with a comma). */
  middle: string;
  /** Everything after the model's value up to (not including) the closing brace. */
  tail: string;
}

export class RawChunk {
  provider: string | undefined;
  readonly pieces: RawPiece[];

  constructor(
    /** The first chunk's upstream id (the lifecycle records it, then sets the gateway's). */
    public id: string,
    public model: string,
    piece: RawPiece,
    /** Every chunk's choice, in order (what the lifecycle counts as delivered output). */
    public readonly choices: ChatChunkChoice[],
  ) {
    this.pieces = [piece];
  }

  /** Adds the next chunk of the run. */
  add(piece: RawPiece, choice: ChatChunkChoice): void {
    this.pieces.push(piece);
    this.choices.push(choice);
  }

  /** The `data:` frames the full path would send for these chunks (`provider`, absent upstream, goes last). */
  frame(): string {
    const head = `data: {"id":${JSON.stringify(this.id)},`;
    const model = `"model":${JSON.stringify(this.model)}`;
    const end = this.provider === undefined ? '}\n\n' : `,"provider":${JSON.stringify(this.provider)}}\n\n`;
    let frames = '';
    for (const piece of this.pieces) frames += head + piece.middle + model + piece.tail + end;
    return frames;
  }

  /** Typed as the canonical chunk for the lifecycle, which reads and sets only the fields above. */
  asChunk(): ChatChunk {
    return this as unknown as ChatChunk;
  }
}

/** One choice of a pass-through answer: what the lifecycle reads of it (whether it carries output). */
export interface RawAnswerChoice {
  index: number;
  message: { role: 'assistant'; content: string };
  finish_reason: string | null;
}

/**
 * The pass-through form of a whole OpenAI-compatible answer (`stream: false`) for a client on the
 * OpenAI surface: the upstream's text with `id`, `model`, `usage` (parsed, so the lifecycle adds its
 * cost) and `provider` spliced in. `render()` gives exactly what `JSON.stringify` of the full path's
 * parsed and amended answer would (providers/openai-passthrough.ts hands one out only for text it
 * has checked is in that form).
 */
export class RawAnswer {
  provider: string | undefined;

  constructor(
    /** The upstream's id (the lifecycle records it, then sets the gateway's). */
    public id: string,
    public model: string,
    /** The usage object, parsed from the upstream's text; the lifecycle adds the cost to it. */
    public usage: Record<string, unknown>,
    public readonly choices: RawAnswerChoice[],
    private readonly text: {
      /** The members between `"id":…,` and `"model":` (each ending with a comma). */
      middle: string;
      /** The members between the model and `"choices"` (each ending with a comma). */
      beforeChoices: string;
      /** The choices' text, each already carrying its `native_finish_reason`. */
      choices: string;
      /** The members after the usage (each starting with a comma), `"system_fingerprint":null` added when absent. */
      after: string;
    },
  ) {}

  /** The answer's JSON text. */
  render(): string {
    const { middle, beforeChoices, choices, after } = this.text;
    const provider = this.provider === undefined ? '' : `,"provider":${JSON.stringify(this.provider)}`;
    return `{"id":${JSON.stringify(this.id)},${middle}"model":${JSON.stringify(this.model)},${beforeChoices}"choices":[${choices}],"usage":${JSON.stringify(this.usage)}${after}${provider}}`;
  }

  /** Typed as the canonical completion for the lifecycle, which reads and sets only the fields above. */
  asCompletion(): ChatCompletion {
    return this as unknown as ChatCompletion;
  }
}
