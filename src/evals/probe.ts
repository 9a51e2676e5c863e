/**
 * Speed probes: per endpoint, a streamed request through the gateway pinned to that endpoint's
 * provider, at about 100 and about 1,000 input tokens, asking for a fixed answer length. Measured:
 * time to first token (first content or reasoning delta), output tokens per second after the first
 * token (the usage's completion tokens less one, over the time from the first token to the last), and
 * end-to-end time. Because probes are ordinary requests, the gateway's own live endpoint stats
 * (latency and throughput percentiles, uptime) take them in too; the rows stored here feed the
 * leaderboard's medians.
 */
import { randomBase62 } from '../lib/ids.js';
import type { EvalsRepo } from '../store/repos/evals.js';

/** About ten tokens in every common tokenizer. */
const FILLER = 'The quick brown fox jumps over the lazy dog again. ';
export const PROBE_SIZES = [100, 1_000] as const;
export const PROBE_ANSWER_TOKENS = 128;

export interface ProbeResult {
  model: string;
  provider: string;
  input_tokens: number;
  output_tokens: number;
  ttft_ms: number;
  output_tps: number;
  e2e_ms: number;
  error: string | null;
}

export function probePrompt(approxTokens: number): string {
  return `${FILLER.repeat(Math.max(1, Math.round((approxTokens - 20) / 10)))}\nIgnore the text above. Count from 1 upwards, one number per word, until you are stopped.`;
}

export async function probeEndpoint(
  gatewayUrl: string,
  apiKey: string,
  model: string,
  provider: string,
  approxTokens: number,
): Promise<ProbeResult> {
  const started = performance.now();
  let first: number | undefined;
  let last = started;
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  const base = { model, provider, input_tokens: approxTokens, output_tokens: 0, ttft_ms: 0, output_tps: 0, e2e_ms: 0 };
  try {
    const response = await fetch(`${gatewayUrl.replace(/\/$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-title': 'agora bench probe' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: probePrompt(approxTokens) }],
        max_tokens: PROBE_ANSWER_TOKENS,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        provider: { only: [provider], allow_fallbacks: false },
      }),
    });
    if (!response.ok || !response.body) return { ...base, error: `${response.status}: ${(await response.text()).slice(0, 200)}` };
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const part of response.body) {
      buffered += decoder.decode(part as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.startsWith('data: ') ? event.slice(6) : undefined;
        if (!data || data === '[DONE]') continue;
        const chunk = JSON.parse(data) as {
          choices?: Array<{ delta?: { content?: string | null; reasoning?: string | null } }>;
          usage?: { prompt_tokens?: number; completion_tokens?: number };
          error?: { message?: string };
        };
        if (chunk.error) return { ...base, error: chunk.error.message ?? 'stream error' };
        const delta = chunk.choices?.[0]?.delta;
        if (delta && (delta.content || delta.reasoning)) {
          first ??= performance.now();
          last = performance.now();
        }
        if (chunk.usage) usage = chunk.usage;
      }
    }
  } catch (error) {
    return { ...base, error: error instanceof Error ? error.message : String(error) };
  }
  const ended = performance.now();
  if (first === undefined) return { ...base, e2e_ms: ended - started, error: 'no output token arrived' };
  const outputTokens = usage?.completion_tokens ?? 0;
  const generation = (last - first) / 1000;
  return {
    model,
    provider,
    input_tokens: usage?.prompt_tokens ?? approxTokens,
    output_tokens: outputTokens,
    ttft_ms: first - started,
    output_tps: generation > 0 && outputTokens > 1 ? (outputTokens - 1) / generation : 0,
    e2e_ms: ended - started,
    error: null,
  };
}

/** Probes every given endpoint at each size once, storing each result. */
export async function probeAll(
  gatewayUrl: string,
  apiKey: string,
  targets: Array<{ model: string; provider: string }>,
  store: Pick<EvalsRepo, 'insertProbe'>,
  onResult?: (result: ProbeResult) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const target of targets) {
    for (const size of PROBE_SIZES) {
      const result = await probeEndpoint(gatewayUrl, apiKey, target.model, target.provider, size);
      await store.insertProbe({ id: `prb_${randomBase62(14)}`, ...result, created_at: Date.now() });
      results.push(result);
      onResult?.(result);
    }
  }
  return results;
}
