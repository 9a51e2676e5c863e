/**
 * The pass-through stream path for a client on the OpenAI surface: a plain content chunk already in
 * the shape the client gets is forwarded as its own text with only `id`, `model` and `provider`
 * spliced in, instead of parsed and re-serialised. Taken only for text in `JSON.stringify`'s own form
 * (no whitespace between tokens, its escapes) and of a shape whose full-path rendering is known; any
 * other chunk (the first content, think tags, reasoning, tool calls, finish, usage, errors) goes the
 * full path, so the client receives the same bytes either way (test/e2e/fast-path.test.ts checks it).
 */
import type { ChatEvent } from '../contract/chat-event.js';
import type { ChatChunkChoice } from '../contract/chat-types.js';
import { RawChunk } from '../contract/raw-chunk.js';

/** A JSON string as `JSON.stringify` writes it (UTF-8 text has no lone surrogates). */
const STRING = String.raw`"(?:[^"\\\x00-\x1f]|\\["\\bfnrt]|\\u00(?:0[0-7bef]|1[0-9a-f]))*"`;
const PLAIN = String.raw`[^"\\\x00-\x1f]*`;
const SCALAR = String.raw`(?:${STRING}|null|true|false|0|-?[1-9]\d{0,14})`;
/**
 * A content chunk with one choice, its members in the order OpenAI, vLLM, SGLang, DeepSeek and
 * Ollama write them, each at most once (a repeated key is one member after JSON.parse): a delta of
 * role, content and a null refusal, the choice's other members null (so no finish reason), no usage.
 */
const CONTENT_CHUNK = new RegExp(
  String.raw`^\{"id":"(${PLAIN})",((?:"object":${STRING},)?(?:"created":${SCALAR},)?)"model":"${PLAIN}"(,(?:"service_tier":${SCALAR},)?(?:"system_fingerprint":${SCALAR},)?"choices":\[\{"index":(0|[1-9]\d{0,8}),"delta":\{(?:"role":"assistant",)?"content":(${STRING})(?:,"refusal":null)?\}(?:,"logprobs":null)?(?:,"finish_reason":null)?(?:,"stop_reason":null)?\}\](?:,"usage":null)?(?:,"obfuscation":${STRING})?)\}$`,
);

/** A content chunk as a pass-through event, or undefined when it needs the full path. */
export function rawChunkEvent(data: string, reasoning: { passes(index: number): boolean }): ChatEvent | undefined {
  const match = CONTENT_CHUNK.exec(data);
  if (match === null) return undefined;
  const index = Number(match[4]);
  const quoted = match[5]!;
  const content = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
  // Text that could still be (or be inside) a <think> block goes through the normalizer.
  if (content !== '' && !reasoning.passes(index)) return undefined;
  const choices = [{ index, delta: { content } }] as ChatChunkChoice[];
  const chunk = new RawChunk(match[1]!, '', match[2]!, match[3]!, choices);
  return { type: 'chunk', chunk: chunk.asChunk(), hasOutput: content !== '' };
}
