/**
 * The shared adapter suite (architecture.md, convention 10): every adapter's test file calls
 * `adapterConformance`, which replays the adapter's recorded vendor answers from its `fixtures/`
 * folder through a loopback server and checks the same behaviours for every vendor: text, streamed
 * text, streamed tool calls, usage and finish reasons lifted, upstream errors mapped, a stream cut
 * mid-way, and cancellation closing the upstream connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelSource, NEVER_CANCELLED } from '../lib/cancel.js';
import type { ChatRequest } from '../spec/chat-request.js';
import type { ChatEvent } from '../spec/chat-event.js';
import { AgoraError } from '../spec/errors.js';
import type { ProviderAdapter } from '../spec/provider-adapter.js';

/** What the loopback server does for one upstream model name. */
export interface FixtureRoute {
  status?: number;
  headers?: Record<string, string>;
  /** A file in the fixtures folder, sent as the body. */
  file?: string;
  /** Send this many SSE events of `file`, then destroy the socket. */
  cutAfterEvents?: number;
  /** Send the first event, then keep the connection open (for cancellation). */
  hold?: boolean;
}

export interface ConformanceOptions {
  name: string;
  fixturesDir: string;
  createAdapter(baseUrl: string): ProviderAdapter;
  /** Upstream model name → fixture route; the suite uses the names below. */
  routes: {
    text: FixtureRoute;
    textStream: FixtureRoute;
    toolStream: FixtureRoute;
    badRequest: FixtureRoute;
    serverError: FixtureRoute;
    rateLimited: FixtureRoute;
  };
  /** Cases an adapter cannot support, with the reason. */
  skip?: Partial<Record<string, string>>;
}

function request(stream: boolean): ChatRequest {
  return { body: { model: 'x', messages: [{ role: 'user', content: 'Hello' }], stream }, models: ['test/model'], stream, maxTokens: undefined };
}

async function collect(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

export function adapterConformance(options: ConformanceOptions): void {
  describe(`${options.name} adapter conformance`, () => {
    let server: Server;
    let adapter: ProviderAdapter;
    const closedEarly: string[] = [];
    const routes: Record<string, FixtureRoute> = { ...options.routes };

    beforeAll(async () => {
      server = createServer((incoming, response) => {
        const parts: Buffer[] = [];
        incoming.on('data', (part: Buffer) => parts.push(part));
        incoming.on('end', () => {
          const model = String((JSON.parse(Buffer.concat(parts).toString() || '{}') as { model?: string }).model);
          const route = routes[model];
          if (!route) {
            response.writeHead(404).end();
            return;
          }
          response.on('close', () => {
            if (!response.writableFinished) closedEarly.push(model);
          });
          const body = route.file ? readFileSync(join(options.fixturesDir, route.file), 'utf8') : '';
          response.writeHead(route.status ?? 200, { 'content-type': route.file?.endsWith('.sse') ? 'text/event-stream' : 'application/json', ...route.headers });
          if (route.cutAfterEvents !== undefined || route.hold) {
            const events = body.split('\n\n').filter(Boolean);
            response.write(events.slice(0, route.hold ? 1 : route.cutAfterEvents).map((event) => `${event}\n\n`).join(''));
            if (!route.hold) setTimeout(() => response.socket?.destroy(), 20);
            return;
          }
          response.end(body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      adapter = options.createAdapter(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
    });
    afterAll(async () => {
      await adapter?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const run = (name: string, body: () => Promise<void>): void => {
      const reason = options.skip?.[name];
      if (reason) it.skip(`${name} (skipped: ${reason})`, body);
      else it(name, body);
    };

    run('answers a whole text completion with usage and finish reason lifted', async () => {
      const result = await adapter.chat({ request: request(false), upstreamModel: 'text', signal: NEVER_CANCELLED });
      expect(result.finishReason?.unified).toBe('stop');
      expect(result.usage?.promptTokens).toBeGreaterThan(0);
      expect(result.usage?.completionTokens).toBeGreaterThan(0);
      expect(typeof result.upstreamId).toBe('string');
      expect(JSON.stringify(result.body.choices)).toContain('Hello');
    });

    run('streams text as events, with the finish reason and usage lifted', async () => {
      const events = await collect(adapter.chatStream({ request: request(true), upstreamModel: 'textStream', signal: NEVER_CANCELLED }));
      const text = events.map((event) => event.chunk.choices[0]?.delta.content ?? '').join('');
      expect(text.length).toBeGreaterThan(0);
      expect(events.some((event) => event.finishReason?.unified === 'stop')).toBe(true);
      expect(events.some((event) => event.usage?.completionTokens !== undefined)).toBe(true);
      expect(events.filter((event) => event.hasOutput).length).toBeGreaterThan(0);
    });

    run('streams tool-call deltas that assemble into arguments', async () => {
      const events = await collect(adapter.chatStream({ request: request(true), upstreamModel: 'toolStream', signal: NEVER_CANCELLED }));
      const deltas = events.flatMap((event) => (event.chunk.choices[0]?.delta.tool_calls as Array<{ function?: { arguments?: string; name?: string } }> | undefined) ?? []);
      expect(deltas.find((delta) => delta.function?.name)?.function?.name).toBeTruthy();
      expect(() => JSON.parse(deltas.map((delta) => delta.function?.arguments ?? '').join(''))).not.toThrow();
      expect(events.some((event) => event.finishReason?.unified === 'tool_calls')).toBe(true);
    });

    run('maps an upstream 400 to a 400 carrying the upstream message, not retryable', async () => {
      const error = await adapter.chat({ request: request(false), upstreamModel: 'badRequest', signal: NEVER_CANCELLED }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgoraError);
      expect(error).toMatchObject({ status: 400, retryable: false });
      expect((error as Error).message).toContain('temperature');
    });

    run('maps an upstream 500 to a retryable 502 and a 429 to a 429 keeping Retry-After', async () => {
      const failed = (await adapter.chat({ request: request(false), upstreamModel: 'serverError', signal: NEVER_CANCELLED }).catch((caught: unknown) => caught)) as AgoraError;
      expect(failed).toMatchObject({ status: 502, retryable: true });
      const limited = (await collect(adapter.chatStream({ request: request(true), upstreamModel: 'rateLimited', signal: NEVER_CANCELLED })).catch((caught: unknown) => caught)) as AgoraError;
      expect(limited).toMatchObject({ status: 429, retryable: true });
      expect(limited.headers?.['retry-after']).toBe(options.routes.rateLimited.headers?.['retry-after']);
    });

    run('throws mid-stream, after the first events, when the upstream connection is cut', async () => {
      routes.cut = { ...options.routes.textStream, cutAfterEvents: 2 };
      const seen: ChatEvent[] = [];
      const error = await (async () => {
        for await (const event of adapter.chatStream({ request: request(true), upstreamModel: 'cut', signal: NEVER_CANCELLED })) seen.push(event);
      })().catch((caught: unknown) => caught);
      expect(seen.length).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(AgoraError);
      expect((error as AgoraError).status).toBeGreaterThanOrEqual(500);
    });

    run('cancelling while streaming stops the iteration and closes the upstream connection', async () => {
      routes.held = { ...options.routes.textStream, hold: true };
      const cancel = new CancelSource();
      const iterator = adapter.chatStream({ request: request(true), upstreamModel: 'held', signal: cancel })[Symbol.asyncIterator]();
      await iterator.next();
      cancel.cancel();
      await expect(iterator.next()).rejects.toMatchObject({ status: 499 });
      const deadline = Date.now() + 2_000;
      while (!closedEarly.includes('held') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(closedEarly).toContain('held');
    });
  });
}
