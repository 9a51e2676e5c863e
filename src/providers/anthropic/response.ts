/** An Anthropic `message` → the canonical (OpenAI `chat.completion`) answer, usage in OpenAI's terms. */
import type { ChatResult } from '../../contract/chat-event.js';
import type { AnswerMessage, ChatCompletion, ReasoningDetail, ToolCall, UsageBody } from '../../contract/chat-types.js';
import { finishReasonFromOpenAI } from '../../contract/finish-reason.js';
import { usageFromOpenAI } from '../../contract/usage.js';
import { malformedResponse } from '../upstream-errors.js';

/** Anthropic's wire objects, read leniently. */
type Wire = Record<string, unknown>;

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  pause_turn: 'stop',
  model_context_window_exceeded: 'length',
};

export function finishFromAnthropic(reason: unknown): string | null {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'stop') : null;
}

/** Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens include them. */
export function usageToOpenAI(usage: unknown): UsageBody | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const value = usage as Wire;
  const input = typeof value.input_tokens === 'number' ? value.input_tokens : 0;
  const read = typeof value.cache_read_input_tokens === 'number' ? value.cache_read_input_tokens : 0;
  const written = typeof value.cache_creation_input_tokens === 'number' ? value.cache_creation_input_tokens : 0;
  const output = typeof value.output_tokens === 'number' ? value.output_tokens : undefined;
  const prompt = input + read + written;
  return {
    prompt_tokens: prompt,
    ...(output !== undefined ? { completion_tokens: output, total_tokens: prompt + output } : {}),
    prompt_tokens_details: { cached_tokens: read, cache_write_tokens: written },
  };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function chatResultFromAnthropic(bodyText: string, providerName: string): ChatResult {
  let body: Wire;
  try {
    body = JSON.parse(bodyText) as Wire;
  } catch {
    throw malformedResponse(providerName, 'the body is not valid JSON');
  }
  if (!Array.isArray(body.content)) throw malformedResponse(providerName, "no 'content' array");
  let content = '';
  let reasoning = '';
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of body.content as Wire[]) {
    if (block.type === 'text') content += text(block.text) ?? '';
    else if (block.type === 'thinking') {
      reasoning += text(block.thinking) ?? '';
      const signature = text(block.signature);
      details.push({
        type: 'reasoning.text',
        text: text(block.thinking) ?? '',
        ...(signature !== undefined ? { signature } : {}),
        format: 'anthropic-claude-v1',
        index: details.length,
      });
    } else if (block.type === 'redacted_thinking') {
      details.push({ type: 'reasoning.encrypted', data: text(block.data) ?? '', format: 'anthropic-claude-v1', index: details.length });
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: text(block.id) ?? '',
        type: 'function',
        function: { name: text(block.name) ?? '', arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const finish = finishFromAnthropic(body.stop_reason);
  const message: AnswerMessage = { role: 'assistant', content: content === '' && toolCalls.length > 0 ? null : content };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== '' || details.length > 0) {
    message.reasoning = reasoning;
    message.reasoning_details = details;
  }
  const usage = usageToOpenAI(body.usage);
  const canonical: ChatCompletion = {
    id: text(body.id),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: text(body.model),
    system_fingerprint: null, // Anthropic sends none
    choices: [{ index: 0, message, finish_reason: finish, native_finish_reason: text(body.stop_reason) ?? null, logprobs: null }],
    ...(usage ? { usage } : {}),
  };
  return {
    body: canonical,
    usage: usageFromOpenAI(usage),
    finishReason: finishReasonFromOpenAI(finish),
    upstreamId: text(body.id),
  };
}
