/**
 * The shared adapter suite (architecture.md, convention 10). Every adapter's `adapter.test.ts` calls
 * `adapterConformance`, which replays the adapter's recorded vendor answers from its `fixtures/`
 * folder through a loopback HTTP server and checks the same behaviours for every vendor: a whole
 * text answer, streamed text, streamed tool calls and reasoning with usage and finish reasons lifted,
 * upstream HTTP errors mapped to gateway errors, a stream cut mid-way, and cancellation closing the
 * upstream connection.
 *
 * Fixture names (override per case with `fixtures`): `text.json`, `text.sse`, `tool-call.sse`,
 * `reasoning.sse` and `error-<status>.json` for 400, 500 and 429. A `.json` file is sent as
 * `application/json`, a `.sse` file byte for byte as `text/event-stream`. What the adapter should
 * lift out of each (text, usage, finish reason) is stated in `expected`, in the canonical
 * (OpenAI chunk) terms of src/spec, so the same checks hold for every vendor's wire format.
 *
 * @example
 * adapterConformance({ name: 'acme', fixturesDir, createAdapter: (baseUrl) => createAcmeAdapter(provider(baseUrl)), expected });
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelSource, NEVER_CANCELLED, type CancelSignal } from '../lib/cancel.js';
import type { ChatEvent } from '../contract/chat-event.js';
import type { ChatRequest } from '../contract/chat-request.js';
import { AgoraError } from '../contract/errors.js';
import type { FinishReason } from '../contract/finish-reason.js';
import type { ProviderAdapter } from '../contract/provider-adapter.js';
import type { Usage } from '../contract/usage.js';

export type FixtureCase = 'text' | 'textStream' | 'toolCallStream' | 'reasoningStream' | 'error400' | 'error500' | 'error429';

export type ConformanceCase =
  | 'text'
  | 'text-stream'
  | 'tool-call-stream'
  | 'reasoning-stream'
  | 'upstream-400'
  | 'upstream-500'
  | 'upstream-429'
  | 'mid-stream-error'
  | 'abort-stream'
  | 'abort-whole';

const DEFAULT_FIXTURES: Record<FixtureCase, string> = {
  text: 'text.json',
  textStream: 'text.sse',
  toolCallStream: 'tool-call.sse',
  reasoningStream: 'reasoning.sse',
  error400: 'error-400.json',
  error500: 'error-500.json',
  error429: 'error-429.json',
};

type UsageCounts = Partial<Omit<Usage, 'raw'>>;

/** What the adapter must lift out of each fixture, in canonical terms. */
export interface ConformanceExpectations {
  text: { content: string; usage: UsageCounts; finishReason: FinishReason; upstreamId: string };
  textStream: { content: string; usage: UsageCounts; finishReason: FinishReason };
  toolCallStream: { id: string; name: string; arguments: unknown; finishReason: FinishReason };
  /** Omit (and skip `reasoning-stream`) for a vendor without reasoning output. */
  reasoningStream?: { reasoning: string; content: string; usage: UsageCounts };
  /** A part of the upstream's message in the 400 fixture, which must reach the client. */
  badRequestMessage: string;
}

export interface ConformanceOptions {
  name: string;
  /** The adapter's `fixtures/` folder. */
  fixturesDir: string;
  /** An adapter whose provider's base URL is `baseUrl` (the loopback server, ending in `/v1`). */
  createAdapter(baseUrl: string): ProviderAdapter;
  expected: ConformanceExpectations;
  /** Fixture file names that differ from the defaults. */
  fixtures?: Partial<Record<FixtureCase, string>>;
  /** The vendor sends each tool call whole in one event (Gemini) instead of streaming its arguments. */
  toolCallsArriveWhole?: boolean;
  /** Cases the adapter cannot support: case → reason. */
  skip?: Partial<Record<ConformanceCase, string>>;
}

/** How the loopback server answers one route (one upstream model name). */
interface Route {
  file: string;
  status: number;
  headers?: Record<string, string>;
  /** `whole`: send the file. `cut`: send `events` SSE events (plus `extraBytes` of the next), then destroy the socket.
   *  `hold`: send `events` events and keep the connection open. `silent`: never answer. */
  mode: { kind: 'whole' } | { kind: 'cut'; events: number; extraBytes?: number } | { kind: 'hold'; events: number } | { kind: 'silent' };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

interface RouteState {
  route: Route;
  /** Resolves when the request has fully arrived. */
  arrived: Deferred;
  /** Resolves when the connection closed before the answer was complete (the client hung up). */
  closedEarly: Deferred;
  requests: number;
}

/** Splits an SSE body into its events, each with its terminating blank line. */
function sseEvents(text: string): string[] {
  return text.split(/(?<=\r\n\r\n|\n\n|\r\r)/).filter((event) => event.trim() !== '');
}

class LoopbackUpstream {
  private readonly server: Server;
  private readonly routes = new Map<string, RouteState>();
  private counter = 0;
  baseUrl = '';

  constructor(private readonly fixturesDir: string) {
    this.server = createServer((incoming, response) => this.handle(incoming, response));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Registers a route and returns its id, which the test passes as the upstream model name. */
  add(route: Route): { id: string; state: RouteState } {
    const id = `conformance-${++this.counter}-${route.file.replace(/\W/g, '-')}`;
    const state: RouteState = { route, arrived: deferred(), closedEarly: deferred(), requests: 0 };
    this.routes.set(id, state);
    return { id, state };
  }

  private find(url: string, body: string): RouteState | undefined {
    try {
      const model = (JSON.parse(body) as { model?: unknown }).model;
      if (typeof model === 'string' && this.routes.has(model)) return this.routes.get(model);
    } catch {
      // not JSON: the route id may be in the URL (vendors that put the model in the path)
    }
    for (const [id, state] of this.routes) if (url.includes(id)) return state;
    return undefined;
  }

  private handle(incoming: IncomingMessage, response: ServerResponse): void {
    const parts: Buffer[] = [];
    incoming.on('data', (part: Buffer) => parts.push(part));
    incoming.on('end', () => {
      const state = this.find(incoming.url ?? '', Buffer.concat(parts).toString('utf8'));
      if (!state) {
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":{"message":"no such route in the conformance server"}}');
        return;
      }
      state.requests++;
      response.on('close', () => {
        if (!response.writableFinished) state.closedEarly.resolve();
      });
      state.arrived.resolve();
      const { route } = state;
      if (route.mode.kind === 'silent') return;
      const body = readFileSync(join(this.fixturesDir, route.file));
      const contentType = route.file.endsWith('.sse') ? 'text/event-stream' : 'application/json';
      response.writeHead(route.status, { 'content-type': contentType, 'cache-control': 'no-cache', ...route.headers });
      if (route.mode.kind === 'whole') {
        response.end(body);
        return;
      }
      const events = sseEvents(body.toString('utf8'));
      const count = Math.min(route.mode.events, events.length - 1); // always hold back at least one event
      let sent = events.slice(0, count).join('');
      if (route.mode.kind === 'cut') {
        sent += (events[count] ?? '').slice(0, route.mode.extraBytes ?? 0);
        // Destroy only after the bytes were handed to the socket, so the client sees them first.
        response.write(sent, () => response.socket?.destroy());
        return;
      }
      response.write(sent);
    });
  }
}

function chatRequest(stream: boolean): ChatRequest {
  return {
    body: { model: 'conformance/model', messages: [{ role: 'user', content: 'Hello' }], stream },
    models: ['conformance/model'],
    stream,
    maxTokens: undefined,
  };
}

type Delta = Record<string, unknown>;

function deltas(events: ChatEvent[]): Delta[] {
  return events.flatMap((event) => event.chunk.choices.map((choice) => choice.delta ?? {}));
}

function joined(events: ChatEvent[], field: string): string {
  return deltas(events)
    .map((delta) => (typeof delta[field] === 'string' ? (delta[field] as string) : ''))
    .join('');
}

/** Whether a chunk carries generated output, computed independently of the adapter. */
function carriesOutput(event: ChatEvent): boolean {
  return event.chunk.choices.some((choice) => {
    const delta = choice.delta ?? {};
    const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';
    return (
      nonEmpty(delta.content) ||
      nonEmpty(delta.reasoning_content) ||
      nonEmpty(delta.reasoning) ||
      (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0)
    );
  });
}

/** Reads a stream to its end; returns the events and what it threw, if anything. */
async function drain(stream: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

/** The one event that ended the choice: exactly one must carry a finish reason. */
function finishEvent(events: ChatEvent[]): ChatEvent {
  const finishing = events.filter((event) => event.finishReason !== undefined);
  expect(finishing, 'events carrying a finish reason').toHaveLength(1);
  return finishing[0]!;
}

/** The usage the stream reported (the last event that carried one). */
function reportedUsage(events: ChatEvent[]): Usage | undefined {
  return events.filter((event) => event.usage !== undefined).at(-1)?.usage;
}

export function adapterConformance(options: ConformanceOptions): void {
  const fixture = (name: FixtureCase): string => options.fixtures?.[name] ?? DEFAULT_FIXTURES[name];
  const { expected } = options;

  describe(`${options.name} adapter conformance`, () => {
    const upstream = new LoopbackUpstream(options.fixturesDir);
    let adapter: ProviderAdapter;

    beforeAll(async () => {
      await upstream.listen();
      adapter = options.createAdapter(upstream.baseUrl);
    });
    afterAll(async () => {
      await adapter?.close();
      await upstream.close();
    });

    const run = (name: ConformanceCase, title: string, body: () => Promise<void>): void => {
      const reason = options.skip?.[name];
      if (reason) it.skip(`${title} (skipped: ${reason})`, body);
      else it(title, body);
    };
    const stream = (upstreamModel: string, signal: CancelSignal = NEVER_CANCELLED) =>
      adapter.chatStream({ request: chatRequest(true), upstreamModel, signal });
    const whole = (upstreamModel: string, signal: CancelSignal = NEVER_CANCELLED) =>
      adapter.chat({ request: chatRequest(false), upstreamModel, signal });

    run('text', 'answers a whole text completion, with usage, finish reason and upstream id lifted', async () => {
      const { id } = upstream.add({ file: fixture('text'), status: 200, mode: { kind: 'whole' } });
      const result = await whole(id);
      const message = (result.body.choices[0] as { message?: { content?: unknown } } | undefined)?.message;
      expect(message?.content).toBe(expected.text.content);
      expect(result.finishReason).toEqual(expected.text.finishReason);
      expect(result.usage).toMatchObject(expected.text.usage);
      expect(result.usage?.raw).toBeDefined();
      expect(result.upstreamId).toBe(expected.text.upstreamId);
    });

    run('text-stream', 'streams text as several events, with usage, finish reason and hasOutput lifted', async () => {
      const { id } = upstream.add({ file: fixture('textStream'), status: 200, mode: { kind: 'whole' } });
      const { events, error } = await drain(stream(id));
      expect(error).toBeUndefined();
      expect(events.length).toBeGreaterThan(1);
      expect(joined(events, 'content')).toBe(expected.textStream.content);
      expect(finishEvent(events).finishReason).toEqual(expected.textStream.finishReason);
      expect(reportedUsage(events)).toMatchObject(expected.textStream.usage);
      for (const event of events) expect(event.hasOutput, JSON.stringify(event.chunk)).toBe(carriesOutput(event));
    });

    run('tool-call-stream', 'streams tool-call deltas that assemble into one call with JSON arguments', async () => {
      const { id } = upstream.add({ file: fixture('toolCallStream'), status: 200, mode: { kind: 'whole' } });
      const { events, error } = await drain(stream(id));
      expect(error).toBeUndefined();
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      for (const delta of deltas(events)) {
        const toolCalls = (delta.tool_calls ?? []) as Array<{
          index: number;
          id?: string;
          function?: { name?: string; arguments?: string };
        }>;
        for (const call of toolCalls) {
          const current = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
          current.id = call.id ?? current.id;
          current.name += call.function?.name ?? '';
          current.arguments += call.function?.arguments ?? '';
          calls.set(call.index, current);
        }
      }
      expect(calls.size).toBe(1);
      const call = calls.get(0)!;
      expect(call.id).toBe(expected.toolCallStream.id);
      expect(call.name).toBe(expected.toolCallStream.name);
      expect(JSON.parse(call.arguments)).toEqual(expected.toolCallStream.arguments);
      expect(finishEvent(events).finishReason).toEqual(expected.toolCallStream.finishReason);
      // Vendors that stream arguments send several deltas; Gemini sends each function call whole.
      expect(events.filter((event) => event.hasOutput).length).toBeGreaterThanOrEqual(options.toolCallsArriveWhole ? 1 : 2);
    });

    run('reasoning-stream', 'streams reasoning apart from the answer, counting reasoning as output', async () => {
      const reasoning = expected.reasoningStream;
      if (!reasoning) throw new Error('expected.reasoningStream is missing: give it, or skip reasoning-stream with a reason');
      const { id } = upstream.add({ file: fixture('reasoningStream'), status: 200, mode: { kind: 'whole' } });
      const { events, error } = await drain(stream(id));
      expect(error).toBeUndefined();
      // Canonical reasoning is `delta.reasoning` (OpenRouter's field); vendor fields may mirror it.
      expect(joined(events, 'reasoning')).toBe(reasoning.reasoning);
      expect(joined(events, 'content')).toBe(reasoning.content);
      expect(reportedUsage(events)).toMatchObject(reasoning.usage);
      // The first output may be reasoning alone: that is output (time to first token, "has started").
      const firstOutput = events.find((event) => event.hasOutput)!;
      expect(joined([firstOutput], 'reasoning_content') + joined([firstOutput], 'reasoning')).not.toBe('');
      for (const event of events) expect(event.hasOutput, JSON.stringify(event.chunk)).toBe(carriesOutput(event));
    });

    run('upstream-400', 'maps an upstream 400 to a 400 carrying the upstream message, not retryable, before any event', async () => {
      const { id } = upstream.add({ file: fixture('error400'), status: 400, mode: { kind: 'whole' } });
      const error = await whole(id).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AgoraError);
      expect(error).toMatchObject({ status: 400, retryable: false });
      expect((error as Error).message).toContain(expected.badRequestMessage);
      const streamed = await drain(stream(id));
      expect(streamed.events).toEqual([]);
      expect(streamed.error).toBeInstanceOf(AgoraError);
      expect(streamed.error).toMatchObject({ status: 400, retryable: false });
    });

    run('upstream-500', 'maps an upstream 500 to a retryable 502, thrown before the first event', async () => {
      const { id } = upstream.add({ file: fixture('error500'), status: 500, mode: { kind: 'whole' } });
      const error = await whole(id).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AgoraError);
      expect(error).toMatchObject({ status: 502, retryable: true });
      const streamed = await drain(stream(id));
      expect(streamed.events).toEqual([]);
      expect(streamed.error).toMatchObject({ status: 502, retryable: true });
    });

    run('upstream-429', 'maps an upstream 429 to a retryable 429 that keeps Retry-After', async () => {
      const { id } = upstream.add({ file: fixture('error429'), status: 429, headers: { 'retry-after': '12' }, mode: { kind: 'whole' } });
      for (const error of [await whole(id).catch((caught: unknown) => caught), (await drain(stream(id))).error]) {
        expect(error).toBeInstanceOf(AgoraError);
        expect(error).toMatchObject({ status: 429, retryable: true });
        expect((error as AgoraError).headers?.['retry-after']).toBe('12');
      }
    });

    run('mid-stream-error', 'throws an AgoraError after the first events when the connection is cut, at or inside an event', async () => {
      const all = (await drain(stream(upstream.add({ file: fixture('textStream'), status: 200, mode: { kind: 'whole' } }).id))).events;
      for (const extraBytes of [0, 12]) {
        const { id } = upstream.add({ file: fixture('textStream'), status: 200, mode: { kind: 'cut', events: 2, extraBytes } });
        const { events, error } = await drain(stream(id));
        // The events sent before the cut arrive, unchanged; then the iterator throws (never a clean end).
        expect(events.length, `cut ${extraBytes} bytes into event 3`).toBeGreaterThan(0);
        expect(events.map((event) => event.chunk)).toEqual(all.slice(0, events.length).map((event) => event.chunk));
        expect(events.some((event) => event.finishReason !== undefined)).toBe(false);
        expect(error, `cut ${extraBytes} bytes into event 3`).toBeInstanceOf(AgoraError);
        expect((error as AgoraError).status).toBeGreaterThanOrEqual(500);
      }
    });

    run('abort-stream', 'cancelling while streaming stops the iteration and closes the upstream connection', async () => {
      const { id, state } = upstream.add({ file: fixture('textStream'), status: 200, mode: { kind: 'hold', events: 2 } });
      const cancel = new CancelSource();
      const iterator = stream(id, cancel)[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      cancel.cancel();
      // The iterator ends or throws (a cancelled call is not an upstream failure to fail over from),
      // after at most the one event the server sent and the adapter may already hold.
      let extraEvents = 0;
      for (let step = 0; step < 3; step++) {
        const next = await iterator.next().then(
          (result) => result,
          (caught: unknown) => (caught instanceof Error ? caught : new Error(String(caught))),
        );
        if (next instanceof Error) {
          expect(next).toBeInstanceOf(AgoraError);
          expect((next as AgoraError).retryable).toBe(false);
          break;
        }
        if (next.done) break;
        extraEvents++;
      }
      expect(extraEvents).toBeLessThanOrEqual(1);
      expect(
        await iterator.next().then(
          (result) => result.done,
          () => true,
        ),
      ).toBe(true);
      // … and the loopback server sees the connection closed (the test times out otherwise).
      await state.closedEarly.promise;
    });

    run('abort-stream', 'a consumer that stops reading early closes the upstream connection', async () => {
      const { id, state } = upstream.add({ file: fixture('textStream'), status: 200, mode: { kind: 'hold', events: 2 } });
      for await (const event of stream(id)) {
        expect(event.type).toBe('chunk');
        break;
      }
      await state.closedEarly.promise;
    });

    run('abort-whole', 'cancelling a whole-answer call rejects it and closes the upstream connection', async () => {
      const { id, state } = upstream.add({ file: fixture('text'), status: 200, mode: { kind: 'silent' } });
      const cancel = new CancelSource();
      const pending = whole(id, cancel).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      await state.arrived.promise;
      cancel.cancel();
      const error = await pending;
      expect(error).toBeInstanceOf(AgoraError);
      expect((error as AgoraError).retryable).toBe(false);
      await state.closedEarly.promise;
      expect(state.requests).toBe(1);
    });
  });
}
