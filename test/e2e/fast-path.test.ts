/**
 * The pass-through stream path (providers/openai-passthrough.ts) against the full path: every
 * OpenAI-compatible conformance stream fixture, every fake-upstream mode and a set of edge cases go
 * through both (whole and in 7-byte reads, with and without `reasoning.exclude`), rendered as the
 * lifecycle renders them for the OpenAI surface (the gateway's id, the requested model, the provider,
 * the usage chunk's cost), and the bytes must be equal — as must what the lifecycle records (output,
 * usage, finish reason, bytes of output, upstream id, errors). The same for whole answers
 * (`stream: false`): the pass-through RawAnswer against the parsed and re-serialised answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_PATH } from '../../src/surfaces/openai.js';
import { expectSameAnswer, expectSameStream, wholeAnswer } from '../helpers/fast-path.js';
import { fakeConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';

const FIXTURES = join(import.meta.dirname, '../../src/providers/openai-compatible/fixtures');
const BENCH = join(import.meta.dirname, '../../bench/nginx/static');
const chunk = (fields: Record<string, unknown>): string =>
  `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 1718000000, model: 'up', ...fields })}\n\n`;
const content = (text: string, extra: Record<string, unknown> = {}): string =>
  chunk({ choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], ...extra });
const stop = chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
const DONE = 'data: [DONE]\n\n';

describe('fast path: the same bytes as the full path', () => {
  it('on every OpenAI-compatible conformance stream fixture and the bench upstream', async () => {
    const files = readdirSync(FIXTURES)
      .filter((name) => name.endsWith('.sse'))
      .map((name) => join(FIXTURES, name));
    files.push(join(BENCH, 'stream.sse'));
    const taken: Record<string, number> = {};
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (file.endsWith('.sse')) taken[file] = await expectSameStream(text);
    }
    // Not vacuous: the common shapes take the fast path.
    expect(taken[join(BENCH, 'stream.sse')]).toBeGreaterThanOrEqual(15);
    expect(taken[join(FIXTURES, 'text.sse')]).toBeGreaterThan(0);
    expect(taken[join(FIXTURES, 'vllm-text.sse')]).toBeGreaterThan(0);
  });

  it('on edge cases of streams: escapes, think tags, reasoning, tools, several choices, odd numbers, errors', async () => {
    const cases: string[] = [
      content('') + content('Hi') + content(' there\n"quoted" \\ tab\t') + content('é ☃ 😀 \u2028') + stop + usage + DONE,
      content('Hi') +
        'data: {"id":"up-1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"\\u00e9\\/"},"finish_reason":null}]}\n\n' +
        stop +
        DONE,
      content('Hi') +
        'data: {"id":"up-1", "object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\n\n' +
        stop +
        DONE,
      content('<thi') + content('nk>plan') + content('</think>') + content('\n\nanswer') + content(' more') + stop + usage + DONE,
      content('  ') + content('<think>a</think>b') + content('c') + stop + DONE,
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: null, reasoning_content: 'think' }, finish_reason: null }] }) +
        content('x') +
        content('y') +
        stop +
        DONE,
      content('a') +
        chunk({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
              finish_reason: null,
            },
          ],
        }) +
        stop +
        DONE,
      content('a') +
        chunk({
          choices: [
            { index: 0, delta: { content: 'b' }, finish_reason: null },
            { index: 1, delta: { content: 'c' }, finish_reason: null },
          ],
        }) +
        stop +
        DONE,
      content('a') +
        content('b', { created: 1.5 }) +
        content('c', { x_score: 0.1 }) +
        content('d', { x_big: 12345678901234567890 }) +
        stop +
        DONE,
      content('a') +
        'data: {"id":"up-1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}],"provider":"X"}\n\n' +
        stop +
        DONE,
      content('a') +
        'data: {"id":"up-1","object":"x","object":"y","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]}\n\n' +
        stop +
        DONE,
      content('a', { usage: null, system_fingerprint: null, service_tier: 'default', obfuscation: 'ab"c' }) +
        content('b') +
        stop +
        usage +
        DONE,
      content('a') + content('b', { error: null }) + chunk({ error: { message: 'overloaded', code: 503 } }) + DONE,
      content('a') +
        'data: {"id":"up-1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]\n\n' +
        DONE,
      content('a') + content('b'),
      // the template of the previous match must not carry over to chunks that differ around their content
      content('a') +
        content('b') +
        content('c', { id: 'up-2' }) +
        content('d', { created: 1718000001 }) +
        content('e"f\\g') +
        content('h') +
        content('i', { obfuscation: 'xy' }) +
        content('j', { obfuscation: 'xyz' }) +
        chunk({ choices: [{ index: 1, delta: { content: 'k' }, logprobs: null, finish_reason: null }] }) +
        content('l') +
        'data: {"id":"up-1","object":"chat.completion.chunk","created":1718000000,"model":"up","choices":[{"index":0,"delta":{"content":"m"},"logprobs":null,"finish_reason":null}],"x":1}\n\n' +
        content('n') +
        stop +
        usage +
        DONE,
      content('a') +
        content('b', {
          choices: [
            { index: 0, delta: { role: 'assistant', content: 'b', refusal: null }, logprobs: null, finish_reason: null, stop_reason: null },
          ],
        }) +
        stop +
        DONE,
    ];
    for (const sse of cases) await expectSameStream(sse);
  });

  describe('on every fake-upstream mode', () => {
    let upstream: FakeUpstream;
    beforeAll(async () => {
      upstream = await startFakeUpstream();
    });
    afterAll(() => upstream.close());

    const modes = [
      'ok',
      'echo',
      'tools',
      'think-tags',
      'reasoning',
      'strict-reasoning',
      'usage:10:20:3:2',
      'exact',
      'bare',
      'inband-error',
      'no-finish',
      'no-usage',
      'die-after:3',
      'malformed',
      'status:500',
    ];
    it.each(modes)('%s', async (mode) => {
      const response = await fetch(`${upstream.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: mode,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }).catch(() => undefined);
      const text = response ? await response.text().catch(() => '') : '';
      // A JSON error answer is not a stream: the adapter never reads it as one.
      if (!text.trimStart().startsWith('{')) await expectSameStream(text);
    });
  });
});

describe('fast path: whole answers, the same bytes as the full path', () => {
  const answer = wholeAnswer;

  it('on every OpenAI-compatible conformance answer fixture (as sent and compact) and the bench upstream', () => {
    const files = readdirSync(FIXTURES)
      .filter((name) => name.endsWith('.json'))
      .map((name) => join(FIXTURES, name));
    const taken: Record<string, boolean> = {};
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(expectSameAnswer(text)).toBe(false); // pretty-printed: the full path
      taken[file] = expectSameAnswer(JSON.stringify(JSON.parse(text)));
    }
    // Not vacuous: the common shapes take the fast path.
    expect(taken[join(FIXTURES, 'text.json')]).toBe(true);
    expect(taken[join(FIXTURES, 'deepseek-chat.json')]).toBe(true);
    expect(taken[join(FIXTURES, 'error-500.json')]).toBe(false);
    expect(expectSameAnswer(readFileSync(join(BENCH, 'chat.json'), 'utf8'))).toBe(true);
  });

  it('on edge cases: escapes, think tags, reasoning, tools, several choices, member order, odd numbers, errors', () => {
    const taken = [
      answer(),
      answer({}, { role: 'assistant', content: 'é ☃ 😀 \u2028 "q" \\ tab\t\nline' }),
      answer({ system_fingerprint: 'fp_1' }),
      answer({ service_tier: 'default', system_fingerprint: null }),
      answer({}, { role: 'assistant', content: '', refusal: null, annotations: [] }),
      answer({
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 2 }, cost: 0.5 },
      }),
      answer({
        usage: {
          prompt_tokens: 3,
          completion_tokens: 4,
          total_tokens: 7,
          completion_tokens_details: { reasoning_tokens: 1, audio_tokens: 0 },
          prompt_tokens_details: null,
        },
      }),
      answer({ choices: [{ index: 0, message: { role: 'assistant', content: 'cut' }, logprobs: null, finish_reason: 'length' }] }),
      answer({ choices: [{ index: 0, message: { role: 'assistant', content: 'odd' }, finish_reason: null }] }),
      '{"id":"up-1","object":"chat.completion","created":1,"model":"up","system_fingerprint":"fp","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
    ].map(expectSameAnswer);
    expect(taken).toEqual(taken.map(() => true));
    const full = [
      answer({}, { role: 'assistant', content: '<think>plan</think>answer' }),
      answer({}, { role: 'assistant', content: '\n  <think>plan</think>answer' }),
      answer({}, { role: 'assistant', content: 'a', reasoning_content: 'plan' }),
      answer(
        {},
        { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ),
      answer({
        choices: [
          { index: 0, message: { role: 'assistant', content: 'a' }, finish_reason: 'stop' },
          { index: 1, message: { role: 'assistant', content: 'b' }, finish_reason: 'stop' },
        ],
      }),
      answer({ created: 1.5 }),
      answer({ provider: 'Upstream' }),
      answer({ x_extra: 1 }),
      answer({ usage: null }),
      answer({ usage: { prompt_tokens: 3, note: 'x y' } }),
      answer({ usage: { prompt_tokens: 3, nested: { deeper: { n: 1 } } } }),
      answer({ choices: [{ index: 0, message: { role: 'assistant', content: 'a' }, finish_reason: 'stop', native_finish_reason: 'eos' }] }),
      '{"id":"up-1", "object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}',
      '{"id":"up-1","object":"a","object":"b","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}',
      '{"id":"up-1","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}',
      // one member before the choices and again after the usage: once parsed, one member in the first place
      '{"id":"up-1","model":"up","service_tier":"default","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1},"service_tier":"flex"}',
      '{"id":"up-1","model":"up","system_fingerprint":"fp_1","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1},"system_fingerprint":"fp_2"}',
      '{"error":{"message":"overloaded","code":503}}',
      '',
    ].map(expectSameAnswer);
    expect(full).toEqual(full.map(() => false));
  });

  describe('on every fake-upstream mode', () => {
    let upstream: FakeUpstream;
    beforeAll(async () => {
      upstream = await startFakeUpstream();
    });
    afterAll(() => upstream.close());

    it.each([
      'ok',
      'echo',
      'tools',
      'think-tags',
      'reasoning',
      'usage:10:20:3:2',
      'exact',
      'bare',
      'inband-error',
      'no-usage',
      'malformed',
    ])('%s', async (mode) => {
      const response = await fetch(`${upstream.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: mode, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const taken = expectSameAnswer(await response.text());
      if (mode === 'ok' || mode === 'echo') expect(taken).toBe(true);
    });
  });
});

describe('fast path through the gateway: the same answer with it on and off', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let apiKey: string;
  const modes = ['ok', 'echo', 'tools', 'think-tags', 'reasoning'];

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, modes) });
    apiKey = await gateway.createKey('fast-path');
  });
  afterAll(async () => {
    FAST_PATH.enabled = true;
    await gateway?.close();
    await upstream?.close();
  });

  /** The raw body and content type a client gets, the generation id (different on every request) and timestamps taken out. */
  async function ask(mode: string, stream: boolean): Promise<{ status: number; body: string; type: string | null }> {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: `acme/${mode}`, stream, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const id = response.headers.get('x-agora-generation-id');
    expect(id).toMatch(/^gen-/);
    // a usage chunk the gateway makes itself is stamped with the current second
    const body = (await response.text()).replaceAll(id!, 'GEN').replace(/"created":\d+/g, '"created":0');
    return { status: response.status, body, type: response.headers.get('content-type') };
  }

  it.each(modes)('%s, whole and streamed', async (mode) => {
    for (const stream of [false, true]) {
      FAST_PATH.enabled = true;
      const fast = await ask(mode, stream);
      FAST_PATH.enabled = false;
      const full = await ask(mode, stream);
      FAST_PATH.enabled = true;
      expect(fast.status).toBe(200);
      expect(fast).toEqual(full);
      // the answer went out whole: ids replaced, the cost in the usage
      expect(fast.body).toContain('"id":"GEN"');
      expect(fast.body).toContain('"model":"acme/' + mode + '"');
      expect(fast.body).toMatch(/"cost":\d/);
    }
  });
});
