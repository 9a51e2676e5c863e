/**
 * A scripted OpenAI-compatible upstream on loopback. The upstream model name picks the behaviour,
 * so one fake serves every scenario: `ok`, `tools`, `slow:MS`, `hang`, `status:CODE[:RETRY_AFTER]`, `flaky:PERCENT`,
 * `reset`, `malformed`, `die-after:N`, `no-finish`, `drip:MS[:N]`, `inband-error`, `empty`,
 * `usage:PROMPT:COMPLETION:CACHED:REASONING` (reports exactly that usage), `exact` (as many completion
 * tokens as `max_tokens` allows), `no-usage` (a stream without a usage chunk), `bare` (a whole answer without
 * `system_fingerprint`, which OpenAI's spec makes optional and many servers leave out).
 * Answers follow OpenAI's documented Chat Completions JSON and SSE shapes. Every request is kept
 * (`requests`) and the fake knows when a client closed a connection early (`closedEarly`).
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  receivedAt: number;
}

export interface FakeUpstream {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Times (performance.now()) at which a client hung up before the answer was complete. */
  closedEarly: number[];
  /** Emits `closed-early` each time one is added to `closedEarly`. */
  events: EventEmitter;
  /** Completed answers (a provider's own meter): id, prompt and completion tokens. */
  served: Array<{ id: string; promptTokens: number; completionTokens: number }>;
  /** When set, every request behaves as this mode, whatever its model name (e.g. `status:500`). */
  override: string | undefined;
  close(): Promise<void>;
}

const WORDS = ['Hello', ' from', ' the', ' fake', ' upstream', '.'];
const PROMPT_TOKENS = 12;

function promptText(body: Record<string, unknown>): string {
  const messages = (body.messages as Array<{ content?: unknown }> | undefined) ?? [];
  const last = messages[messages.length - 1];
  return typeof last?.content === 'string' ? last.content : '';
}

function completion(id: string, model: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created: 1_718_000_000,
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: WORDS.length,
      total_tokens: PROMPT_TOKENS + WORDS.length,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
    ...extra,
  };
}

const TOOL_CALL = { id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null = null, usage: unknown = null): string {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: 1_718_000_000,
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage,
  })}\n\n`;
}

function usageChunk(id: string, model: string, completionTokens: number): string {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: 1_718_000_000,
    model,
    choices: [],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: completionTokens, total_tokens: PROMPT_TOKENS + completionTokens },
  })}\n\n`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeUpstream(options: { port?: number; name?: string } = {}): Promise<FakeUpstream> {
  const requests: ReceivedRequest[] = [];
  const closedEarly: number[] = [];
  const events = new EventEmitter();
  const served: FakeUpstream['served'] = [];
  const sockets = new Set<Socket>();
  let counter = 0;
  const label = options.name ?? 'fake';

  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        body = {};
      }
      requests.push({ path: request.url ?? '', headers: request.headers, body, receivedAt: performance.now() });
      response.on('close', () => {
        if (!response.writableFinished) {
          closedEarly.push(performance.now());
          events.emit('closed-early');
        }
      });
      void answer(request.url ?? '', body, response).catch(() => response.destroy());
    });
  });

  async function answer(path: string, body: Record<string, unknown>, response: ServerResponse): Promise<void> {
    const model = fake.override ?? String(body.model ?? 'ok');
    const [mode, arg1, arg2] = model.split(':');
    const id = `chatcmpl-${label}-${++counter}`;
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (mode === 'slow') await sleep(Number(arg1));
    if (mode === 'flaky' && Math.random() * 100 < Number(arg1)) {
      json(500, { error: { message: `fake upstream failed at random (${arg1}%)`, type: 'server_error', code: null } });
      return;
    }
    if (mode === 'hang') return; // never answers
    if (mode === 'reset') {
      response.socket?.destroy();
      return;
    }
    if (mode === 'status') {
      const status = Number(arg1);
      json(
        status,
        { error: { message: `fake upstream says ${status}`, type: 'server_error', code: null } },
        arg2 ? { 'retry-after': arg2 } : {},
      );
      return;
    }
    if (mode === 'malformed') {
      response.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
      response.end(body.stream ? 'data: {"id": "x", "choices": [ broken\n\n' : '{"id": "x", "choices": [ broken');
      return;
    }
    if (mode === 'empty') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end();
      return;
    }
    if (path.endsWith('/embeddings')) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      json(200, {
        object: 'list',
        model,
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1 * (index + 1), 0.2, 0.3] })),
        usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
      });
      return;
    }
    if (mode === 'inband-error' && !body.stream) {
      json(200, { error: { message: 'fake overloaded', code: 503 } });
      return;
    }
    const wantsTools = mode === 'tools';
    if (mode === 'strict-reasoning') {
      // DeepSeek thinking mode with tools: an assistant turn with tool calls must carry its reasoning_content
      const messages = (body.messages as Array<Record<string, unknown>>) ?? [];
      const missing = messages.findIndex(
        (message) => message.role === 'assistant' && Array.isArray(message.tool_calls) && typeof message.reasoning_content !== 'string',
      );
      if (missing !== -1) {
        json(400, {
          error: {
            message: `Missing \`reasoning_content\` field in the assistant message at message index ${missing}.`,
            type: 'invalid_request_error',
            code: 'invalid_request_error',
          },
        });
        return;
      }
      if (messages.some((message) => 'reasoning' in message || 'reasoning_details' in message)) {
        json(400, { error: { message: 'Unknown field in messages: reasoning', type: 'invalid_request_error' } });
        return;
      }
    }
    if (mode === 'think-tags') {
      // Qwen3 served by vLLM/Ollama without a reasoning parser: reasoning inside <think> tags, split across chunks
      if (!body.stream) {
        json(200, completion(id, model, '<think>\nCount the letters.\n</think>\n\nThree.'));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const part of ['<thi', 'nk>\nCount the ', 'letters.\n</th', 'ink>\n\nThr', 'ee.'])
        response.write(chunk(id, model, { content: part }));
      response.write(chunk(id, model, {}, 'stop'));
      response.write(usageChunk(id, model, 12));
      response.end('data: [DONE]\n\n');
      return;
    }
    if (mode === 'reasoning') {
      // DeepSeek-reasoner style: `reasoning_content` before `content` (api-docs.deepseek.com, reasoning_model)
      const thought = 'The user greets me; reply briefly.';
      if (!body.stream) {
        json(
          200,
          completion(id, model, 'Hi!', {
            choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!', reasoning_content: thought }, finish_reason: 'stop' }],
          }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk(id, model, { role: 'assistant', content: null, reasoning_content: '' }));
      response.write(chunk(id, model, { content: null, reasoning_content: thought }));
      response.write(chunk(id, model, { content: 'Hi!', reasoning_content: null }));
      response.write(chunk(id, model, {}, 'stop'));
      response.write(usageChunk(id, model, 9));
      response.end('data: [DONE]\n\n');
      return;
    }
    if (mode === 'usage' || mode === 'exact') {
      const prompt = mode === 'usage' ? Number(arg1) : PROMPT_TOKENS;
      const completionTokens = mode === 'usage' ? Number(arg2) : Number(body.max_tokens ?? body.max_completion_tokens ?? WORDS.length);
      const [cached, reasoning] = mode === 'usage' ? model.split(':').slice(3).map(Number) : [0, 0];
      const usage = {
        prompt_tokens: prompt,
        completion_tokens: completionTokens,
        total_tokens: prompt + completionTokens,
        prompt_tokens_details: { cached_tokens: cached ?? 0 },
        completion_tokens_details: { reasoning_tokens: reasoning ?? 0 },
      };
      served.push({ id, promptTokens: prompt, completionTokens });
      if (!body.stream) {
        json(200, { ...completion(id, model, WORDS.join('')), usage });
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk(id, model, { role: 'assistant', content: '' }));
      response.write(chunk(id, model, { content: WORDS.join('') }));
      response.write(chunk(id, model, {}, 'stop'));
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_718_000_000, model, choices: [], usage })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
      return;
    }
    if (mode === 'bare' && !body.stream) {
      const { system_fingerprint: _left_out, ...answer } = completion(id, model, WORDS.join(''));
      served.push({ id, promptTokens: PROMPT_TOKENS, completionTokens: WORDS.length });
      json(200, answer);
      return;
    }
    if (!body.stream) {
      const extra = wantsTools
        ? {
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: null, tool_calls: [TOOL_CALL] },
                logprobs: null,
                finish_reason: 'tool_calls',
              },
            ],
          }
        : {};
      served.push({ id, promptTokens: PROMPT_TOKENS, completionTokens: WORDS.length });
      json(200, completion(id, model, mode === 'echo' ? promptText(body) : WORDS.join(''), extra));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const write = (text: string): boolean => response.write(text);
    if (mode === 'inband-error') {
      write(`data: ${JSON.stringify({ error: { message: 'fake overloaded', code: 503 } })}\n\n`);
      response.end('data: [DONE]\n\n');
      return;
    }
    write(chunk(id, model, { role: 'assistant', content: '' }));
    if (wantsTools) {
      write(
        chunk(id, model, {
          tool_calls: [{ index: 0, id: TOOL_CALL.id, type: 'function', function: { name: 'get_weather', arguments: '' } }],
        }),
      );
      write(chunk(id, model, { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
      write(chunk(id, model, { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
      write(chunk(id, model, {}, 'tool_calls'));
      write(usageChunk(id, model, 9));
      response.end('data: [DONE]\n\n');
      served.push({ id, promptTokens: PROMPT_TOKENS, completionTokens: 9 });
      return;
    }
    const dripMs = mode === 'drip' ? Number(arg1) : 0;
    const count = mode === 'drip' && arg2 ? Number(arg2) : WORDS.length;
    const dieAfter = mode === 'die-after' ? Number(arg1) : Infinity;
    for (let index = 0; index < count; index++) {
      if (index >= dieAfter) {
        await sleep(30); // let what was written reach the client, then cut the connection
        response.socket?.destroy();
        return;
      }
      if (dripMs > 0) await sleep(dripMs);
      if (response.destroyed) return;
      write(chunk(id, model, { content: WORDS[index % WORDS.length] }));
    }
    if (mode !== 'no-finish') write(chunk(id, model, {}, 'stop'));
    if (mode !== 'no-usage') write(usageChunk(id, model, count));
    response.end('data: [DONE]\n\n');
    served.push({ id, promptTokens: PROMPT_TOKENS, completionTokens: count });
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fake: FakeUpstream = {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    closedEarly,
    events,
    served,
    override: undefined,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** Runs the fake as its own process (for tests that stop and restart an upstream by PID). */
if (process.argv[1]?.endsWith('openai-upstream.ts') && process.argv[2] === '--serve') {
  const port = Number(process.argv[3] ?? 0);
  void startFakeUpstream({ port, name: process.argv[4] ?? 'fake' }).then((fake) => process.stdout.write(`${fake.port}\n`));
}
