/**
 * In-process llama.cpp (`type: local`) through node-llama-cpp: serves a GGUF file with the model's
 * own chat template. Inference runs on llama.cpp's native threads, so the event loop stays free;
 * `sequences` requests run in parallel and the rest wait in a FIFO queue. node-llama-cpp (~700 MB
 * of prebuilt binaries) is an optional dependency, imported only when a local model is configured.
 */
import type { ResolvedProvider } from '../../config/types.js';
import type { CancelSignal } from '../../lib/cancel.js';
import type { ChatChunk, ChatEvent, ChatResult, EmbeddingResult } from '../../contract/chat-event.js';
import type { ChatRequest, EmbeddingRequest } from '../../contract/chat-request.js';
import type { ChatCompletion, ChatDelta, ChatMessage, ContentPart, UsageBody } from '../../contract/chat-types.js';
import { AgoraError, invalidRequest, preview } from '../../contract/errors.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import type { AdapterCall, ProviderAdapter } from '../../contract/provider-adapter.js';
import { usageFromOpenAI } from '../../contract/usage.js';

type Json = Record<string, unknown>;
/** node-llama-cpp is optional (not installed with --omit=optional), so it is typed at this boundary only. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Llama = any;

export const NODE_LLAMA_CPP = 'node-llama-cpp@3.21.1';

/** Loads node-llama-cpp, or explains how to install it. */
export async function importLlama(): Promise<Llama> {
  try {
    return await import('node-llama-cpp' as string);
  } catch {
    throw new AgoraError(`Local models need node-llama-cpp, which is not installed. Run: npm install -E ${NODE_LLAMA_CPP}`, {
      status: 503,
      kind: 'provider_unavailable',
      type: 'server_error',
      code: 'local_runtime_missing',
      retryable: false,
    });
  }
}

const UNSUPPORTED = ['tools', 'tool_choice', 'logprobs', 'top_logprobs', 'response_format', 'n'];

function text(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (part.type === 'text') return part.text;
        throw invalidRequest(`Content part type ${preview(part.type)} cannot be sent to a local text model.`, 'messages');
      })
      .join('');
  }
  return '';
}

/** OpenAI messages → node-llama-cpp chat history plus the last user prompt. */
function history(messages: readonly ChatMessage[]): { items: Json[]; prompt: string } {
  const items: Json[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') items.push({ type: 'system', text: text(message.content) });
    else if (message.role === 'user') items.push({ type: 'user', text: text(message.content) });
    else if (message.role === 'assistant') items.push({ type: 'model', response: [text(message.content)] });
    else throw invalidRequest(`Message role ${preview(message.role)} cannot be sent to a local model.`, 'messages');
  }
  const last = items.pop();
  if (!last || last.type !== 'user') throw invalidRequest('The last message must be a user message for a local model.', 'messages');
  return { items, prompt: String(last.text) };
}

interface Slot {
  sequence: Llama;
}

export class LocalAdapter implements ProviderAdapter {
  readonly specificationVersion = 'v1' as const;
  private ready: Promise<{ llama: Llama; model: Llama; context: Llama; module: Llama }> | undefined;
  private readonly free: Slot[] = [];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private counter = 0;

  constructor(readonly provider: ResolvedProvider) {}

  /** Loads the model (once); the first request waits for it, or `agora serve` does at start. */
  load(): Promise<{ llama: Llama; model: Llama; context: Llama; module: Llama }> {
    this.ready ??= (async () => {
      const local = this.provider.local!;
      const module = await importLlama();
      const llama = await module.getLlama({ gpu: local.gpu ? 'auto' : false, build: 'never', progressLogs: false });
      const modelPath = local.model.startsWith('hf:') ? await module.resolveModelFile(local.model) : local.model;
      const model = await llama.loadModel({ modelPath });
      const context = await model.createContext({ sequences: local.sequences, threads: local.threads, contextSize: local.contextSize });
      for (let index = 0; index < local.sequences; index++) this.free.push({ sequence: context.getSequence() });
      return { llama, model, context, module };
    })();
    return this.ready;
  }

  private async acquire(): Promise<Slot> {
    await this.load();
    const slot = this.free.pop();
    if (slot) return slot;
    return new Promise((resolve) => this.waiting.push(resolve)); // beyond `sequences`: FIFO queue
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  async chat(call: AdapterCall<ChatRequest>): Promise<ChatResult> {
    let content = '';
    let finish: string | null = null;
    let usage: UsageBody | undefined;
    let id = '';
    for await (const event of this.chatStream(call)) {
      id = event.chunk.id ?? id;
      content += event.chunk.choices[0]?.delta.content ?? '';
      finish = event.chunk.choices[0]?.finish_reason ?? finish;
      if (event.chunk.usage) usage = event.chunk.usage;
    }
    const body: ChatCompletion = {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.upstreamModel,
      system_fingerprint: null, // llama.cpp in-process has no backend fingerprint
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish, logprobs: null }],
      ...(usage ? { usage } : {}),
    };
    return { body, usage: usageFromOpenAI(usage), finishReason: finishReasonFromOpenAI(finish), upstreamId: id };
  }

  async *chatStream(call: AdapterCall<ChatRequest>): AsyncGenerator<ChatEvent> {
    const body = call.request.body;
    for (const name of UNSUPPORTED) {
      const value = body[name];
      if (value !== undefined && value !== null && value !== false && !(name === 'n' && value === 1)) {
        throw invalidRequest(`'${name}' cannot be served by the local model ${call.upstreamModel}.`, name, 'unsupported_parameter');
      }
    }
    const { items, prompt } = history(body.messages);
    const slot = await this.acquire();
    const { module } = await this.load();
    const id = `local-${Date.now().toString(36)}-${++this.counter}`;
    const chunk = (delta: ChatDelta, finishReason: string | null = null, usage: UsageBody | null = null): ChatChunk => ({
      id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: call.upstreamModel,
      choices: usage ? [] : [{ index: 0, delta, finish_reason: finishReason }],
      usage,
    });
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let outcome: { stopReason: string } | undefined;
    let failure: unknown;
    const abort = new AbortController();
    const removeCancel = (call.signal as CancelSignal).onCancel(() => abort.abort());
    const before = slot.sequence.tokenMeter.getState();
    const session = new module.LlamaChatSession({ contextSequence: slot.sequence, autoDisposeSequence: false });
    if (items.length > 0) session.setChatHistory(items);
    const stop = body.stop === undefined ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
    const running = session
      .promptWithMeta(prompt, {
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
        temperature: body.temperature ?? undefined,
        topP: body.top_p ?? undefined,
        topK: body.top_k ?? undefined,
        seed: body.seed ?? undefined,
        ...(stop ? { customStopTriggers: stop } : {}),
        signal: abort.signal,
        stopOnAbortSignal: true,
        onTextChunk: (text: string) => {
          queue.push(text);
          wake?.();
        },
      })
      .then(
        (result: { stopReason: string }) => {
          outcome = result;
          wake?.();
        },
        (error: unknown) => {
          failure = error;
          wake?.();
        },
      );
    try {
      yield { type: 'chunk', chunk: chunk({ role: 'assistant', content: '' }), hasOutput: false };
      for (;;) {
        const text = queue.shift();
        if (text !== undefined) {
          yield { type: 'chunk', chunk: chunk({ content: text }), hasOutput: text !== '' };
          continue;
        }
        if (call.signal.aborted && (failure || outcome)) break; // aborting during prompt ingestion rejects: still a cancellation
        if (failure)
          throw new AgoraError(`The local model failed: ${failure instanceof Error ? failure.message : String(failure)}`, {
            status: 502,
            kind: 'provider_unavailable',
            type: 'upstream_error',
            code: 'local_inference_failed',
            cause: failure,
          });
        if (outcome) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (call.signal.aborted || !outcome)
        throw new AgoraError('The request was cancelled.', {
          status: 499,
          kind: 'server',
          type: 'server_error',
          code: 'client_closed_request',
          retryable: false,
        });
      const finish = outcome.stopReason === 'maxTokens' ? 'length' : 'stop';
      const finishEvent: ChatEvent = { type: 'chunk', chunk: chunk({}, finish), hasOutput: false };
      finishEvent.finishReason = { unified: finish, raw: outcome.stopReason };
      yield finishEvent;
      const after = slot.sequence.tokenMeter.getState();
      const usage = {
        prompt_tokens: after.usedInputTokens - before.usedInputTokens,
        completion_tokens: after.usedOutputTokens - before.usedOutputTokens,
      };
      const openaiUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
      const usageEvent: ChatEvent = { type: 'chunk', chunk: chunk({}, null, openaiUsage), hasOutput: false };
      const parsed = usageFromOpenAI(openaiUsage);
      if (parsed) usageEvent.usage = parsed;
      yield usageEvent;
    } finally {
      abort.abort();
      await running;
      removeCancel();
      try {
        session.dispose({ disposeSequence: false });
        await slot.sequence.clearHistory();
        this.release(slot);
      } catch {
        // the model was unloaded (shutdown) while this request ended: nothing left to free
      }
    }
  }

  embed(_call: AdapterCall<EmbeddingRequest>): Promise<EmbeddingResult> {
    return Promise.reject(invalidRequest('Local models serve chat completions only.', 'model', 'unsupported_operation'));
  }

  async close(): Promise<void> {
    const ready = this.ready;
    this.ready = undefined;
    if (ready) await (await ready).llama.dispose().catch(() => undefined);
  }
}

export function createLocalAdapter(provider: ResolvedProvider): ProviderAdapter {
  return new LocalAdapter(provider);
}

export { localModelId } from '../../config/local.js';
