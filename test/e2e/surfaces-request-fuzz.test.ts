/**
 * One conversation, three surfaces, one upstream request (fast-check, fixed seed). A random
 * conversation — a system prompt, user turns of text (one string or several parts), assistant turns
 * of text and tool calls with random JSON arguments, tool results, and the tools' definitions — is
 * sent as OpenAI Chat Completions (`openai`), as Anthropic Messages (`@anthropic-ai/sdk`: `system`,
 * `tool_use` and `tool_result` blocks) and as OpenAI Responses (`openai`: `instructions`,
 * `function_call` and `function_call_output` items). An OpenAI-compatible upstream must receive the
 * same conversation each time: the same messages (roles, text, tool calls and their arguments as
 * JSON values, tool results) and the same tools. And a Responses conversation played turn by turn,
 * each request continuing the stored one before it (`previous_response_id`), must reach the upstream
 * as the same conversation sent whole.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedUpstream } from '../fakes/scripted-upstreams.js';
import { asChat, conversation, parameters, type Conversation, type Turn } from '../helpers/conversations.js';
import { startScriptedGateway, type ScriptedGateway } from '../helpers/scripted-gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_c0de);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 60);

function asMessages(chat: Conversation): Anthropic.MessageCreateParamsNonStreaming {
  const messages: Anthropic.MessageParam[] = [];
  const results: Anthropic.ToolResultBlockParam[] = [];
  for (const turn of chat.turns) {
    if (turn.role === 'tool') {
      results.push({ type: 'tool_result', tool_use_id: turn.id, content: turn.output });
      continue;
    }
    if (turn.role === 'user') {
      // tool results go back in the next user message, before its text
      const blocks = [...results.splice(0), ...turn.parts.map((part) => ({ type: 'text' as const, text: part }))];
      messages.push({ role: 'user', content: blocks.length === 1 && blocks[0]!.type === 'text' ? blocks[0]!.text : blocks });
      continue;
    }
    if (results.length > 0) messages.push({ role: 'user', content: results.splice(0) });
    const content: Anthropic.ContentBlockParam[] = [];
    if (turn.text !== '') content.push({ type: 'text', text: turn.text });
    for (const call of turn.calls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
    messages.push({ role: 'assistant', content });
  }
  if (results.length > 0) messages.push({ role: 'user', content: results });
  return {
    model: 'acme/scripted',
    max_tokens: 100,
    messages,
    ...(chat.system === null ? {} : { system: chat.system }),
    ...(chat.tools.length > 0
      ? { tools: chat.tools.map((name) => ({ name, input_schema: parameters(name) as Anthropic.Tool.InputSchema })) }
      : {}),
  };
}

/** Turns as Responses input items. */
function responsesItems(turns: readonly Turn[]): OpenAI.Responses.ResponseInputItem[] {
  const input: OpenAI.Responses.ResponseInputItem[] = [];
  for (const turn of turns) {
    if (turn.role === 'user')
      input.push({ role: 'user', content: turn.parts.map((part) => ({ type: 'input_text' as const, text: part })) });
    else if (turn.role === 'tool') input.push({ type: 'function_call_output', call_id: turn.id, output: turn.output });
    else {
      if (turn.text !== '') input.push({ role: 'assistant', content: turn.text });
      for (const call of turn.calls)
        input.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: JSON.stringify(call.input) });
    }
  }
  return input;
}

/** What every Responses request of a conversation carries besides its input: the instructions and the tools. */
function responsesBase(chat: Conversation) {
  return {
    model: 'acme/scripted',
    ...(chat.system === null ? {} : { instructions: chat.system }),
    ...(chat.tools.length > 0
      ? { tools: chat.tools.map((name) => ({ type: 'function' as const, name, parameters: parameters(name), strict: false })) }
      : {}),
  };
}

function asResponses(chat: Conversation): OpenAI.Responses.ResponseCreateParamsNonStreaming {
  return { ...responsesBase(chat), input: responsesItems(chat.turns) };
}

/** What a conversation is, read from an upstream request: each message's role, text, tool calls (arguments parsed) and tool-result id. */
function conversationOf(body: Record<string, any>): unknown {
  const textOf = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((part: { text?: string }) => part.text ?? `[${JSON.stringify(part)}]`).join('')
        : '';
  return {
    messages: (body.messages as Array<Record<string, any>>).map((message) => ({
      role: message.role,
      text: textOf(message.content),
      ...(message.tool_calls
        ? {
            calls: (message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>).map((call) => ({
              id: call.id,
              name: call.function.name,
              input: JSON.parse(call.function.arguments) as unknown,
            })),
          }
        : {}),
      ...(message.tool_call_id ? { result: message.tool_call_id } : {}),
    })),
    tools: ((body.tools ?? []) as Array<{ function: { name: string; parameters: unknown } }>).map((tool) => [
      tool.function.name,
      tool.function.parameters,
    ]),
  };
}

describe('one conversation through every surface', () => {
  let served: ScriptedGateway;
  let upstream: ScriptedUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    served = await startScriptedGateway('openai-compatible');
    ({ upstream, openai, anthropic } = served);
  });
  afterAll(() => served?.close());

  it(`reaches the upstream as the same messages and tools (seed ${SEED}, ${RUNS} runs)`, async () => {
    let withTools = 0;
    await fc.assert(
      fc.asyncProperty(conversation, async (chat) => {
        const seen = upstream.requests.length;
        await openai.chat.completions.create(asChat(chat));
        await anthropic.messages.create(asMessages(chat));
        await openai.responses.create(asResponses(chat));
        const [viaChat, viaMessages, viaResponses] = upstream.requests.slice(seen).map(conversationOf);
        expect(viaMessages, 'Anthropic Messages').toEqual(viaChat);
        expect(viaResponses, 'OpenAI Responses').toEqual(viaChat);
        if (chat.tools.length > 0) withTools++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(withTools).toBeGreaterThan(RUNS / 5);
  });

  it(`reaches the upstream whole when Responses continue it turn by turn with previous_response_id (seed ${SEED}, ${RUNS} runs)`, async () => {
    let chainedTurns = 0;
    // (an answer that opens with a <think> block is stored as reasoning and an answer: not the text sent whole)
    const played = conversation.filter(
      (chat) => !chat.turns.some((turn) => turn.role === 'assistant' && turn.text.trimStart().startsWith('<think>')),
    );
    await fc.assert(
      fc.asyncProperty(played, async (chat) => {
        // Played turn by turn: each assistant turn is the upstream's answer to the input since the last
        // one, stored, and the next request continues it by id (instructions go with every request).
        let previous: string | undefined;
        let pending: Turn[] = [];
        for (const turn of chat.turns) {
          if (turn.role !== 'assistant') {
            pending.push(turn);
            continue;
          }
          upstream.queue.push({
            reasoning: [],
            content: turn.text === '' ? [] : [turn.text],
            tools: turn.calls.map((call) => ({ id: call.id, name: call.name, arguments: [JSON.stringify(call.input)] })),
            finish: turn.calls.length > 0 ? 'tool_calls' : 'stop',
          });
          const answered = await openai.responses.create({
            ...responsesBase(chat),
            input: responsesItems(pending),
            store: true,
            ...(previous ? { previous_response_id: previous } : {}),
          });
          previous = answered.id;
          pending = [];
          chainedTurns++;
        }
        const seen = upstream.requests.length;
        await openai.responses.create({
          ...responsesBase(chat),
          input: responsesItems(pending),
          ...(previous ? { previous_response_id: previous } : {}),
        });
        await openai.responses.create(asResponses(chat));
        const [chained, whole] = upstream.requests.slice(seen).map(conversationOf);
        expect(chained).toEqual(whole);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(chainedTurns).toBeGreaterThan(RUNS / 2);
  });
});
