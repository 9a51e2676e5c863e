/**
 * A conversation reaches an Anthropic or a Gemini upstream as itself (fast-check, fixed seed). Random
 * conversations (test/helpers/conversations.ts: a system prompt, text in one or several parts,
 * assistant tool calls with random JSON arguments, tool results, tool definitions) go through the
 * gateway's Chat Completions surface to a scripted native upstream; the request it receives, read
 * back in its vendor's documented terms, must be the same conversation:
 *  - Anthropic Messages (docs.anthropic.com/en/api/messages): `system`; user text blocks;
 *    `tool_result` blocks answering `tool_use` ids; assistant text and `tool_use` blocks; tools with
 *    their `input_schema`;
 *  - Gemini generateContent (ai.google.dev/api/generate-content): `systemInstruction`; user text
 *    parts; `functionResponse` parts named after the call they answer (Gemini has no call ids);
 *    model text and `functionCall` parts; `functionDeclarations`.
 * Some histories hold an empty assistant answer, which both vendors refuse as a message: it is left
 * out, and the user turns around it become one.
 *
 * Reproduce a failure with the printed seed (AGORA_FUZZ_SEED) and raise the runs with AGORA_FUZZ_RUNS.
 */
import fc from 'fast-check';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedKind, ScriptedUpstream } from '../fakes/scripted-upstreams.js';
import { asChat, conversation, parameters, type Conversation } from '../helpers/conversations.js';
import { startScriptedGateway, type ScriptedGateway } from '../helpers/scripted-gateway.js';

const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 0x5eed_ada9);
const RUNS = Number(process.env.AGORA_FUZZ_RUNS ?? 60);

/** One message of a conversation, vendor-neutral: a call or a result is named by id, or (Gemini) by function name. */
interface Said {
  role: string;
  text: string;
  calls?: Array<{ ref: string; input: unknown }>;
  result?: string;
}

/**
 * Conversations, sometimes with an empty assistant answer in their history (OpenAI accepts one; a
 * client resending an empty or aborted answer sends one).
 */
const conversations = fc.tuple(conversation, fc.option(fc.nat(), { nil: undefined })).map(([chat, at]) => {
  const answers = chat.turns.filter((turn) => turn.role === 'assistant' && turn.calls.length === 0);
  if (at === undefined || answers.length === 0) return chat;
  const emptied = answers[at % answers.length]!;
  return { ...chat, turns: chat.turns.map((turn) => (turn === emptied ? { ...turn, text: '' } : turn)) };
});

/**
 * What the conversation is, as each upstream kind can tell it (Gemini names calls and results by
 * function): an assistant turn with nothing to say is left out, and the user turns around it are
 * one turn (both vendors refuse an empty message).
 */
function expected(chat: Conversation, kind: ScriptedKind): { messages: Said[]; tools: unknown[] } {
  const names = new Map<string, string>();
  const ref = (id: string, name: string) => (kind === 'gemini' ? name : `${id}:${name}`);
  const messages: Said[] = chat.system === null ? [] : [{ role: 'system', text: chat.system }];
  for (const turn of chat.turns) {
    const previous = messages[messages.length - 1];
    if (turn.role === 'user' && previous?.role === 'user') previous.text += turn.parts.join('');
    else if (turn.role === 'user') messages.push({ role: 'user', text: turn.parts.join('') });
    else if (turn.role === 'assistant' && turn.text === '' && turn.calls.length === 0) continue;
    else if (turn.role === 'tool')
      messages.push({ role: 'tool', text: turn.output, result: kind === 'gemini' ? names.get(turn.id)! : turn.id });
    else {
      for (const call of turn.calls) names.set(call.id, call.name);
      messages.push({
        role: 'assistant',
        text: turn.text,
        ...(turn.calls.length > 0 ? { calls: turn.calls.map((call) => ({ ref: ref(call.id, call.name), input: call.input })) } : {}),
      });
    }
  }
  return { messages, tools: chat.tools.map((name) => [name, parameters(name)]) };
}

type Json = Record<string, any>;

/** An Anthropic Messages request, read back. */
function fromAnthropic(body: Json): { messages: Said[]; tools: unknown[] } {
  const textOf = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : (content as Json[]).map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('');
  const messages: Said[] = body.system === undefined ? [] : [{ role: 'system', text: textOf(body.system) }];
  for (const message of body.messages as Json[]) {
    const blocks: Json[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (message.role === 'assistant') {
      const calls = blocks
        .filter((block) => block.type === 'tool_use')
        .map((block) => ({ ref: `${block.id}:${block.name}`, input: block.input }));
      messages.push({
        role: 'assistant',
        text: textOf(blocks.filter((block) => block.type !== 'tool_use')),
        ...(calls.length > 0 ? { calls } : {}),
      });
      continue;
    }
    let text: string | undefined;
    for (const block of blocks) {
      if (block.type === 'tool_result') messages.push({ role: 'tool', text: textOf(block.content), result: block.tool_use_id });
      else text = (text ?? '') + textOf([block]);
    }
    if (text !== undefined) messages.push({ role: 'user', text });
  }
  return { messages, tools: ((body.tools ?? []) as Json[]).map((tool) => [tool.name, tool.input_schema]) };
}

/** A Gemini generateContent request, read back. */
function fromGemini(body: Json): { messages: Said[]; tools: unknown[] } {
  const messages: Said[] = body.systemInstruction
    ? [{ role: 'system', text: (body.systemInstruction.parts as Json[]).map((part) => part.text).join('') }]
    : [];
  for (const content of body.contents as Json[]) {
    const parts = content.parts as Json[];
    if (content.role === 'model') {
      const calls = parts
        .filter((part) => part.functionCall)
        .map((part) => ({ ref: part.functionCall.name, input: part.functionCall.args }));
      messages.push({
        role: 'assistant',
        text: parts.map((part) => (typeof part.text === 'string' ? part.text : '')).join(''),
        ...(calls.length > 0 ? { calls } : {}),
      });
      continue;
    }
    let text: string | undefined;
    for (const part of parts) {
      if (part.functionResponse)
        messages.push({ role: 'tool', text: part.functionResponse.response.content, result: part.functionResponse.name });
      else text = (text ?? '') + (typeof part.text === 'string' ? part.text : `[${Object.keys(part).join()}]`);
    }
    if (text !== undefined) messages.push({ role: 'user', text });
  }
  const declarations = ((body.tools ?? []) as Json[]).flatMap((tool) => (tool.functionDeclarations ?? []) as Json[]);
  return { messages, tools: declarations.map((declaration) => [declaration.name, declaration.parameters]) };
}

describe.each(['anthropic', 'gemini'] as const)('a conversation reaches a %s upstream as itself', (kind) => {
  let served: ScriptedGateway;
  let upstream: ScriptedUpstream;
  let openai: OpenAI;

  beforeAll(async () => {
    served = await startScriptedGateway(kind);
    ({ upstream, openai } = served);
  });
  afterAll(() => served?.close());

  it(`the same messages and tools (seed ${SEED}, ${RUNS} runs)`, async () => {
    let withCalls = 0;
    let withEmpty = 0;
    await fc.assert(
      fc.asyncProperty(conversations, async (chat) => {
        const seen = upstream.requests.length;
        await openai.chat.completions.create(asChat(chat));
        const received = upstream.requests[seen]!;
        expect(kind === 'anthropic' ? fromAnthropic(received) : fromGemini(received)).toEqual(expected(chat, kind));
        if (chat.tools.length > 0) withCalls++;
        if (chat.turns.some((turn) => turn.role === 'assistant' && turn.text === '' && turn.calls.length === 0)) withEmpty++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(withCalls).toBeGreaterThan(RUNS / 5);
    expect(withEmpty).toBeGreaterThan(RUNS / 10);
  });
});
