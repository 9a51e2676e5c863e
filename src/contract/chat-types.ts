/**
 * The canonical chat shapes, typed: the request (OpenAI Chat Completions with OpenRouter's
 * additions), its messages and content parts, and what comes back — the whole answer and the stream
 * chunk with its `delta`. Every field the gateway or a translator reads is named here, so a
 * translation that forgets one fails to compile. Extra parameters and vendor fields the gateway does
 * not model pass through untouched (`[extra: string]: unknown` on the objects that carry them).
 * Values are validated once, at the boundary (`chat-request.ts`); inside, these types hold.
 */

/** Any JSON value (a tool's parameter schema, a JSON schema, metadata values). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export interface JsonObject {
  [key: string]: JsonValue;
}

// ---- content parts ---------------------------------------------------------------------------

/** Anthropic-style prompt caching marker OpenRouter accepts on text parts. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface ImageUrlPart {
  type: 'image_url';
  /** A URL or a `data:` URI; some clients send the URL as a bare string. */
  image_url: string | { url: string; detail?: string };
}

export interface InputAudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}

export interface FilePart {
  type: 'file';
  file: { file_id?: string; file_data?: string; filename?: string };
}

/** OpenRouter's (and Qwen's) video input. */
export interface VideoUrlPart {
  type: 'video_url';
  video_url: { url: string };
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export type ContentPart = TextPart | ImageUrlPart | InputAudioPart | FilePart | VideoUrlPart | RefusalPart;
export type ContentPartType = ContentPart['type'];

// ---- messages --------------------------------------------------------------------------------

/** A tool call on an assistant turn (OpenAI's shape; `arguments` is JSON text). */
export interface ToolCall {
  id: string;
  type?: 'function';
  function: { name: string; arguments?: string };
}

/**
 * OpenRouter's `reasoning_details` item: `reasoning.text` (text, and for Anthropic a `signature`),
 * `reasoning.summary`, or `reasoning.encrypted` (opaque `data`). Streamed, the text of one item
 * arrives in fragments that share an `index`.
 */
export interface ReasoningDetail {
  type: 'reasoning.text' | 'reasoning.summary' | 'reasoning.encrypted' | (string & {});
  text?: string;
  summary?: string;
  signature?: string;
  data?: string;
  format?: string;
  id?: string;
  index?: number;
}

export interface SystemMessage {
  role: 'system' | 'developer';
  content: string | ContentPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  /** The legacy single function call. */
  function_call?: { name: string; arguments?: string };
  refusal?: string | null;
  /** OpenRouter's reasoning text sent back. */
  reasoning?: string | null;
  /** DeepSeek's and Kimi's form of the same. */
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
}

export interface ToolMessage {
  role: 'tool';
  content: string | ContentPart[];
  tool_call_id: string;
}

/** The legacy function result. */
export interface FunctionMessage {
  role: 'function';
  content: string | ContentPart[] | null;
  name?: string;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage;
export type ChatRole = ChatMessage['role'];

// ---- tools, formats, reasoning ---------------------------------------------------------------

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name?: string; description?: string; schema?: JsonObject; strict?: boolean } };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/** OpenRouter's `reasoning` request object. */
export interface ReasoningConfig {
  effort?: ReasoningEffort;
  max_tokens?: number;
  exclude?: boolean;
  enabled?: boolean;
}

// ---- the request body ------------------------------------------------------------------------

/**
 * The validated Chat Completions body. Named fields are the ones the gateway or an adapter reads;
 * any other parameter (a vendor's `repetition_penalty`, `min_p`, …) passes through to
 * OpenAI-compatible upstreams untouched, and native adapters declare what they drop or refuse.
 */
export interface ChatBody {
  model?: string;
  /** OpenRouter's fallback list. */
  models?: string[];
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  logit_bias?: JsonObject | null;
  response_format?: ResponseFormat | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice | null;
  parallel_tool_calls?: boolean | null;
  user?: string | null;
  metadata?: JsonObject | null;
  /** OpenRouter's provider routing preferences (validated by routing/preferences.ts). */
  provider?: JsonObject | null;
  reasoning?: ReasoningConfig | null;
  reasoning_effort?: ReasoningEffort | null;
  /** OpenRouter's legacy switch for reasoning in the answer. */
  include_reasoning?: boolean | null;
  /** OpenRouter's usage accounting switch (always on here). */
  usage?: JsonObject | null;
  /** OpenRouter's own fields that steer its router (accepted, not forwarded). */
  route?: string | null;
  transforms?: string[] | null;
  plugins?: JsonValue[] | null;
  session_id?: string | null;
  debug?: JsonObject | null;
  /** Any other parameter, passed through to upstreams that take it. */
  [extra: string]: unknown;
}

/** The named keys of a type with an index signature. */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/** Every named parameter of the canonical request: what each native adapter must classify. */
export type ChatParameter = KnownKeys<ChatBody> & string;

/**
 * What an adapter does with a parameter: `mapped` to its own field, `gateway` (steers the gateway,
 * never forwarded), `dropped` (left out and named in `x-agora-dropped-parameters`), or refused with
 * a 400 when `refuseWhen(value)` holds (dropped otherwise).
 */
export type ParameterPolicy = 'mapped' | 'gateway' | 'dropped' | { refuseWhen: (value: unknown) => boolean };

/** An adapter's whole parameter contract: a parameter added to ChatBody and not classified here fails to compile. */
export type ParameterContract = Record<ChatParameter, ParameterPolicy>;

// ---- answers ---------------------------------------------------------------------------------

/** OpenAI's `usage`, with OpenRouter's cost fields once the gateway has priced it. */
export interface UsageBody {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number; audio_tokens?: number; [extra: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; audio_tokens?: number; [extra: string]: unknown };
  /** USD, added by the gateway. */
  cost?: number;
  cost_details?: { [part: string]: number };
  is_byok?: boolean;
  /** The gateway's estimate (the upstream reported none). */
  estimated?: boolean;
  [extra: string]: unknown;
}

/** A tool call as it streams: the first fragment names it, later ones add argument text. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** What one chunk adds to a choice. */
export interface ChatDelta {
  role?: 'assistant';
  content?: string | null;
  /** OpenRouter's reasoning text. */
  reasoning?: string | null;
  /** DeepSeek's form (normalised to `reasoning` by adapters, kept when the upstream sent it). */
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
  tool_calls?: ToolCallDelta[];
  refusal?: string | null;
  [extra: string]: unknown;
}

export interface ChatChunkChoice {
  index: number;
  delta: ChatDelta;
  finish_reason: string | null;
  native_finish_reason?: string | null;
  [extra: string]: unknown;
}

/** OpenAI's `chat.completion.chunk`: the canonical stream event's payload. */
export interface ChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  /** The provider's display name, added by the gateway (OpenRouter's field). */
  provider?: string;
  choices: ChatChunkChoice[];
  usage?: UsageBody | null;
  [extra: string]: unknown;
}

/** The assistant's message in a whole answer. */
export interface AnswerMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
  [extra: string]: unknown;
}

export interface ChatChoice {
  index: number;
  message: AnswerMessage;
  finish_reason: string | null;
  native_finish_reason?: string | null;
  [extra: string]: unknown;
}

/** OpenAI's `chat.completion`: a whole answer. */
export interface ChatCompletion {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  provider?: string;
  /** The upstream's backend fingerprint, or null when it sent none (OpenRouter's SDK requires the key). */
  system_fingerprint: string | null;
  choices: ChatChoice[];
  usage?: UsageBody | null;
  [extra: string]: unknown;
}

// ---- embeddings ------------------------------------------------------------------------------

/** The validated Embeddings body. */
export interface EmbeddingBody {
  model: string;
  /** Text, texts, or token arrays. */
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  provider?: JsonObject | null;
  [extra: string]: unknown;
}

export interface EmbeddingItem {
  object?: string;
  index: number;
  /** Floats, or OpenAI's base64 of little-endian float32. */
  embedding: number[] | string;
  [extra: string]: unknown;
}

/** OpenAI's embeddings list. */
export interface EmbeddingList {
  object?: string;
  model?: string;
  data: EmbeddingItem[];
  usage?: UsageBody | null;
  [extra: string]: unknown;
}
