/**
 * Random conversations for property tests (fast-check): a system prompt, user turns of text (one
 * string or several parts), assistant turns of text and tool calls with random JSON arguments, tool
 * results, and the tools' definitions, ending with a user turn or with tool results (an agent's
 * turn); and a conversation as an OpenAI Chat Completions request.
 */
import fc from 'fast-check';
import type OpenAI from 'openai';

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}
export type Turn =
  { role: 'user'; parts: string[] } | { role: 'assistant'; text: string; calls: ToolCall[] } | { role: 'tool'; id: string; output: string };
export interface Conversation {
  system: string | null;
  turns: Turn[];
  tools: string[];
}

const text = fc.oneof(
  fc.constantFrom('Hi', 'What is the weather in Paris?', 'é ☃ 😀', '"quoted" \\ tab\t', 'line\nbreak', '<think>no</think>'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);
const NAMES = ['get_weather', 'search', 'lookup_order'];
const input = fc
  .dictionary(
    fc.constantFrom('city', 'query', 'n', 'flags', 'nested'),
    fc.jsonValue({ maxDepth: 2 }).filter((value) => value !== null),
    { maxKeys: 3 },
  )
  // as JSON carries it (-0 is 0 once serialised)
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>);

/** An exchange: a user turn, then either an answer, or tool calls with their results and an answer. */
const exchange = (at: number) =>
  fc
    .record({
      parts: fc.array(text, { minLength: 1, maxLength: 3 }),
      calls: fc.array(fc.record({ name: fc.constantFrom(...NAMES), input }), { maxLength: 2 }),
      lead: fc.oneof(fc.constant(''), text),
      outputs: fc.array(text, { minLength: 2, maxLength: 2 }),
      answer: text,
    })
    .map(({ parts, calls, lead, outputs, answer }): Turn[] => {
      const turns: Turn[] = [{ role: 'user', parts }];
      if (calls.length === 0) return [...turns, { role: 'assistant', text: answer, calls: [] }];
      const made = calls.map((call, index) => ({ ...call, id: `call_${at}_${index}` }));
      return [
        ...turns,
        { role: 'assistant', text: lead, calls: made },
        ...made.map((call, index): Turn => ({ role: 'tool', id: call.id, output: outputs[index]! })),
        { role: 'assistant', text: answer, calls: [] },
      ];
    });

export const conversation: fc.Arbitrary<Conversation> = fc
  .record({
    system: fc.option(text, { nil: null }),
    exchanges: fc.integer({ min: 0, max: 2 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, at) => exchange(at)))),
    last: fc.array(text, { minLength: 1, maxLength: 2 }),
    // an agent's turn: the conversation ends with the results of the last tool calls, for the model to go on
    results: fc.boolean(),
  })
  .map(({ system, exchanges, last, results }) => {
    const turns: Turn[] = exchanges.flat();
    if (results && turns.at(-2)?.role === 'tool') turns.pop();
    else turns.push({ role: 'user', parts: last });
    const tools = [...new Set(turns.flatMap((turn) => (turn.role === 'assistant' ? turn.calls.map((call) => call.name) : [])))];
    return { system, turns, tools: tools.length > 0 ? tools : [] };
  });

export const parameters = (name: string) => ({
  type: 'object',
  properties: { [name === 'search' ? 'query' : 'city']: { type: 'string' } },
});

export function asChat(chat: Conversation): OpenAI.ChatCompletionCreateParamsNonStreaming {
  const messages: OpenAI.ChatCompletionMessageParam[] = chat.system === null ? [] : [{ role: 'system', content: chat.system }];
  for (const turn of chat.turns) {
    if (turn.role === 'user')
      messages.push({
        role: 'user',
        content: turn.parts.length === 1 ? turn.parts[0]! : turn.parts.map((part) => ({ type: 'text' as const, text: part })),
      });
    else if (turn.role === 'tool') messages.push({ role: 'tool', tool_call_id: turn.id, content: turn.output });
    else
      messages.push({
        role: 'assistant',
        content: turn.text === '' && turn.calls.length > 0 ? null : turn.text,
        ...(turn.calls.length > 0
          ? {
              tool_calls: turn.calls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: JSON.stringify(call.input) },
              })),
            }
          : {}),
      });
  }
  return {
    model: 'acme/scripted',
    messages,
    ...(chat.tools.length > 0
      ? { tools: chat.tools.map((name) => ({ type: 'function' as const, function: { name, parameters: parameters(name) } })) }
      : {}),
  };
}
