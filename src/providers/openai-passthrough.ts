/**
 * The pass-through path for a client on the OpenAI surface: a plain content chunk already in
 * the shape the client gets is forwarded as its own text with only `id`, `model` and `provider`
 * spliced in, instead of parsed and re-serialised. Taken only for text in `JSON.stringify`'s own form
 * (no whitespace between tokens, its escapes) and of a shape whose full-path rendering is known; any
 * other chunk (the first content, think tags, reasoning, tool calls, finish, usage, errors) goes the
 * full path, so the client receives the same bytes either way (test/e2e/fast-path.test.ts checks it).
 *
 * Consecutive content chunks of one stream differ only in their text, so after one chunk matched the
 * full pattern, the next is checked against it as a template: the same text before the content
 * string, the same after, and a well-formed JSON string between — which is exactly a match of the
 * full pattern, found without running it. Consecutive matches of one read form one event (RawChunk).
 *
 * Whole answers (`stream: false`) likewise: one choice of plain assistant text in the same form
 * becomes a RawAnswer, with the usage parsed alone (the lifecycle adds the cost to it).
 */
import type { ChatEvent, ChatResult } from '../contract/chat-event.js';
import { finishReasonFromOpenAI } from '../contract/finish-reason.js';
import { usageFromOpenAI } from '../contract/usage.js';
import type { ChatChunkChoice } from '../contract/chat-types.js';
import { RawAnswer, RawChunk } from '../contract/raw-chunk.js';
import { opensWithThink } from '../lib/think-tags.js';

/**
 * A JSON string as `JSON.stringify` writes it (UTF-8 text has no lone surrogates), as runs of plain
 * characters between escapes: a tight character-class loop, several times faster than trying the
 * alternatives at every character.
 */
const STRING = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))[^"\\\x00-\x1f]*)*"`;
const PLAIN = String.raw`[^"\\\x00-\x1f]*`;
const SCALAR = String.raw`(?:${STRING}|null|true|false|0|-?[1-9]\d{0,14})`;
/**
 * A content chunk with one choice, its members in the order OpenAI, vLLM, SGLang, DeepSeek and
 * Ollama write them, each at most once (a repeated key is one member after JSON.parse): a delta of
 * role, content and a null refusal, the choice's other members null (so no finish reason), no usage.
 * Groups: 1 the id, 2 the members before the model, 3 everything after the model's value, 4 the
 * choice's index, 5 the content string (with its quotes).
 */
const CONTENT_CHUNK = new RegExp(
  String.raw`^\{"id":"(${PLAIN})",((?:"object":${STRING},)?(?:"created":${SCALAR},)?)"model":"${PLAIN}"(,(?:"service_tier":${SCALAR},)?(?:"system_fingerprint":${SCALAR},)?"choices":\[\{"index":(0|[1-9]\d{0,8}),"delta":\{(?:"role":"assistant",)?"content":(${STRING})(?:,"refusal":null)?\}(?:,"logprobs":null)?(?:,"finish_reason":null)?(?:,"stop_reason":null)?\}\](?:,"usage":null)?(?:,"obfuscation":${STRING})?)\}$`,
  'd',
);
const JSON_STRING = new RegExp(`^${STRING}$`);

/** A matched JSON string's value (decoded only when it has escapes). */
function unquote(quoted: string): string {
  return quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
}
/** The usual content string: no escapes at all (a quicker test than JSON_STRING, which also accepts it). */
const PLAIN_STRING = /^"[^"\\\x00-\x1f]*"$/;

/** The last full match, as a template for the chunks after it. */
interface Template {
  /** The text up to the content string's opening quote. */
  before: string;
  /** The text after the content string's closing quote. */
  after: string;
  /** Where group 3 (the tail after the model's value) starts. */
  tailStart: number;
  id: string;
  middle: string;
  index: number;
}

/** Matches one stream's chunks (keeps the template between them); `reasoning` says when content may pass. */
export class PassThrough {
  private template: Template | undefined;

  constructor(private readonly reasoning: { passes(index: number): boolean }) {}

  /**
   * Adds `data` to `run` (or starts a run) when it is a plain content chunk; returns the run, or
   * undefined when this chunk needs the full path (the caller then ends the run first).
   */
  take(data: string, run: RawChunk | undefined): RawChunk | undefined {
    let template = this.template;
    let quoted: string | undefined;
    if (
      template !== undefined &&
      data.length >= template.before.length + template.after.length + 2 &&
      data.endsWith(template.after) &&
      data.slice(0, template.before.length) === template.before // faster than startsWith on a sliced string
    ) {
      quoted = data.slice(template.before.length, data.length - template.after.length);
      if (!PLAIN_STRING.test(quoted) && !JSON_STRING.test(quoted)) quoted = undefined;
    }
    if (quoted === undefined) {
      const match = CONTENT_CHUNK.exec(data);
      if (match === null) return undefined;
      const [contentStart, contentEnd] = match.indices![5]!;
      template = this.template = {
        before: data.slice(0, contentStart),
        after: data.slice(contentEnd),
        tailStart: match.indices![3]![0],
        id: match[1]!,
        middle: match[2]!,
        index: Number(match[4]),
      };
      quoted = match[5]!;
    }
    const { id, index, middle, tailStart } = template!;
    const content = unquote(quoted);
    // Text that could still be (or be inside) a <think> block goes through the normalizer.
    if (content !== '' && !this.reasoning.passes(index)) return undefined;
    const piece = { middle, tail: data.slice(tailStart, -1) };
    const choice = { index, delta: { content } } as ChatChunkChoice;
    if (run === undefined) return new RawChunk(id, '', piece, [choice]);
    run.add(piece, choice);
    return run;
  }
}

/**
 * A whole answer with one choice of plain assistant text, its members in the order OpenAI, vLLM,
 * SGLang, DeepSeek and Ollama write them, each at most once: groups 1 the id, 2 the members before
 * the model, 3 those between the model and the choices, 4 the choice, 5 its index, 6 its content
 * string, 7 its finish reason, 8 the usage object (members whose keys are plain names and whose
 * values are not strings, nested at most once), 9 the members after it.
 */
const PLAIN_KEY_VALUES = String.raw`(?:[^{}"]|"[a-z0-9_]{1,64}")*`;
const CONTENT_ANSWER = new RegExp(
  String.raw`^\{"id":"(${PLAIN})",((?:"object":${STRING},)?(?:"created":${SCALAR},)?)"model":"${PLAIN}",((?:"service_tier":${SCALAR},)?(?:"system_fingerprint":${SCALAR},)?)"choices":\[(\{"index":(0|[1-9]\d{0,8}),"message":\{"role":"assistant","content":(${STRING})(?:,"refusal":null)?(?:,"annotations":\[\])?\}(?:,"logprobs":null)?,"finish_reason":(${STRING}|null)\})\],"usage":(\{${PLAIN_KEY_VALUES}(?:\{${PLAIN_KEY_VALUES}\}${PLAIN_KEY_VALUES})*\})((?:,"service_tier":${SCALAR})?(?:,"system_fingerprint":${SCALAR})?)\}$`,
);
const HAS_FINGERPRINT = '"system_fingerprint":';

/**
 * A whole answer (`stream: false`) as a pass-through RawAnswer, or undefined when it needs the full
 * parse (another shape, whitespace between tokens, a `<think>` block to split, a usage that is not
 * a JSON object). The full path adds `native_finish_reason` to the choice and a null
 * `system_fingerprint` when absent; so does this.
 */
export function passThroughAnswer(text: string): RawAnswer | undefined {
  const match = CONTENT_ANSWER.exec(text);
  if (match === null) return undefined;
  const content = unquote(match[6]!);
  if (opensWithThink(content)) return undefined;
  let usage: unknown;
  try {
    usage = JSON.parse(match[8]!);
  } catch {
    return undefined;
  }
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) return undefined;
  const choice = match[4]!;
  const finish = match[7]!;
  const beforeChoices = match[3]!;
  let after = match[9]!;
  // A member both before the choices and after the usage is one member, in the first place, once parsed.
  if (after !== '' && (repeated(beforeChoices, after, '"service_tier":') || repeated(beforeChoices, after, HAS_FINGERPRINT)))
    return undefined;
  if (!beforeChoices.includes(HAS_FINGERPRINT) && !after.includes(HAS_FINGERPRINT)) after += ',"system_fingerprint":null';
  return new RawAnswer(
    match[1]!,
    '',
    usage as Record<string, unknown>,
    [
      {
        index: Number(match[5]),
        message: { role: 'assistant', content },
        finish_reason: finish === 'null' ? null : (JSON.parse(finish) as string),
      },
    ],
    { middle: match[2]!, beforeChoices, choices: `${choice.slice(0, -1)},"native_finish_reason":${finish}}`, after },
  );
}

/** Whether the member `key` (its quoted name and colon) is among both runs of members. */
function repeated(before: string, after: string, key: string): boolean {
  return before.includes(key) && after.includes(key);
}

/** A pass-through answer as the adapter's result (what the full path's `chatResult` reads from the same text). */
export function rawResult(raw: RawAnswer): ChatResult {
  return {
    body: raw.asCompletion(),
    usage: usageFromOpenAI(raw.usage),
    finishReason: finishReasonFromOpenAI(raw.choices[0]!.finish_reason),
    upstreamId: raw.id,
  };
}

/** A run of content chunks as one pass-through event. */
export function rawEvent(run: RawChunk): ChatEvent {
  let hasOutput = false;
  for (const choice of run.choices) if (choice.delta.content !== '') hasOutput = true;
  return { type: 'chunk', chunk: run.asChunk(), hasOutput };
}
