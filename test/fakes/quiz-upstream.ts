/**
 * A scripted OpenAI-compatible host for benchmark tests: it reads arithmetic questions ("What is
 * 17 + 25?") from the last user message and answers "Answer: 42" — correctly with probability `p`
 * (a seeded draw per call, so a run is replayable), otherwise off by one. With tools in the request
 * and a question about weather it calls the first tool: `faithful` with arguments valid for the
 * schema, `degraded` with malformed JSON. Streams when asked (`stream_options.include_usage`
 * honoured), one token per chunk, so speed probes can time it. Counts every question it was asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../helpers/random.js';

export interface QuizUpstream {
  url: string;
  /** Questions asked, by their text (a resumed run must not ask one twice). */
  asked: Map<string, number>;
  calls: number;
  close(): Promise<void>;
}

export interface QuizOptions {
  /** Probability of a correct answer. */
  p: number;
  seed?: number;
  /** Tool calls: valid arguments, or malformed JSON. */
  tools?: 'faithful' | 'degraded';
  /** Tokens a streamed answer is padded to (speed probes). */
  streamTokens?: number;
}

export async function startQuizUpstream(options: QuizOptions): Promise<QuizUpstream> {
  const random = seededRandom(options.seed ?? 1);
  const asked = new Map<string, number>();
  const state = { calls: 0 };
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      state.calls++;
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as {
        model?: string;
        stream?: boolean;
        messages?: Array<{ role: string; content: unknown }>;
        tools?: Array<{ function: { name: string; parameters?: unknown } }>;
      };
      const last = body.messages?.filter((message) => message.role === 'user').at(-1);
      const question = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
      asked.set(question, (asked.get(question) ?? 0) + 1);
      const sum = /What is (\d+) \+ (\d+)\?/.exec(question);
      const promptTokens = Math.ceil(question.length / 4);
      let content: string | null = 'I do not know.';
      let toolCalls: unknown[] | undefined;
      if (sum) {
        const right = Number(sum[1]) + Number(sum[2]);
        content = `Let me add. Answer: ${random() < options.p ? right : right + 1}`;
      }
      if (body.tools && body.tools.length > 0 && /weather/i.test(question)) {
        const city = /in ([A-Z][a-z]+)/.exec(question)?.[1] ?? 'Paris';
        content = null;
        toolCalls = [
          {
            id: `call_${state.calls}`,
            type: 'function',
            function: {
              name: body.tools[0]!.function.name,
              arguments: options.tools === 'degraded' ? `{"city": "${city}", "unit": ` : JSON.stringify({ city, unit: 'celsius' }),
            },
          },
        ];
      }
      const id = `chatcmpl-quiz-${state.calls}`;
      if (body.stream) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const tokens = options.streamTokens ?? 8;
        const send = (payload: unknown): boolean => response.write(`data: ${JSON.stringify(payload)}\n\n`);
        const chunk = (delta: unknown, finish: string | null = null) => ({
          id,
          object: 'chat.completion.chunk',
          created: 1_718_000_000,
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        });
        send(chunk({ role: 'assistant', content: '' }));
        for (let index = 0; index < tokens; index++) send(chunk({ content: `${index + 1} ` }));
        send(chunk({}, 'stop'));
        send({
          id,
          object: 'chat.completion.chunk',
          created: 1_718_000_000,
          model: body.model,
          choices: [],
          usage: { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens },
        });
        response.end('data: [DONE]\n\n');
        return;
      }
      const completionTokens = 8;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: 1_718_000_000,
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
              finish_reason: toolCalls ? 'tool_calls' : 'stop',
            },
          ],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    asked,
    get calls() {
      return state.calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
