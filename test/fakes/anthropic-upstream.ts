/**
 * A scripted Anthropic Messages upstream on loopback (docs.anthropic.com/en/api/messages and
 * messages-streaming). The model name picks the behaviour: `ok`, `tools`, `thinking`,
 * `overloaded` (529), `error-event` (an `event: error` after the first text), `strict-thinking`
 * (thinking with a signature, a redacted_thinking block and a tool call; like Anthropic, it refuses a
 * later turn whose tool-use message does not carry those blocks back unaltered). Requests are kept.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnthropicFake {
  url: string;
  requests: Array<{ headers: IncomingHttpHeaders; body: Record<string, any> }>;
  close(): Promise<void>;
}

const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

export async function startAnthropicFake(): Promise<AnthropicFake> {
  const requests: AnthropicFake['requests'] = [];
  let counter = 0;
  /** Signatures and encrypted blocks issued by `strict-thinking`: signature → the thinking it signs. */
  const issued = new Map<string, string>();
  const issuedRedacted = new Set<string>();
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString() || '{}') as Record<string, any>;
      requests.push({ headers: request.headers, body });
      answer(body, response, `msg_fake_${++counter}`);
    });
  });

  function answer(body: Record<string, any>, response: ServerResponse, id: string): void {
    const mode = String(body.model);
    if (mode === 'strict-thinking') {
      const problem = checkThinkingHistory(body.messages ?? []);
      if (problem) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: problem } }));
        return;
      }
    }
    if (mode === 'overloaded') {
      response.writeHead(529, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
      return;
    }
    const usage = { input_tokens: 20, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 7 };
    const blocks: any[] = [];
    if (mode === 'thinking') blocks.push({ type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-abc' });
    if (mode === 'strict-thinking') {
      const thinking = `I should look up the weather (turn ${counter}).`;
      const signature = `EqQBCkYIARgCKkD${Buffer.from(`${id}:${thinking}`).toString('base64')}`;
      const data = `EmwKAhgBEgy${Buffer.from(`redacted:${id}`).toString('base64')}`;
      issued.set(signature, thinking);
      issuedRedacted.add(data);
      blocks.push({ type: 'thinking', thinking, signature }, { type: 'redacted_thinking', data });
    }
    if (mode === 'tools' || mode === 'strict-thinking')
      blocks.push({ type: 'tool_use', id: 'toolu_fake_1', name: 'get_weather', input: { city: 'Paris' } });
    else blocks.push({ type: 'text', text: 'Hello from Claude.' });
    const stopReason = mode === 'tools' || mode === 'strict-thinking' ? 'tool_use' : 'end_turn';
    if (!body.stream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: blocks,
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(
      event('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      }),
    );
    blocks.forEach((block, index) => {
      if (block.type === 'thinking') {
        response.write(
          event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } }),
        );
        response.write(
          event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } }),
        );
        response.write(
          event('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'signature_delta', signature: block.signature },
          }),
        );
      } else if (block.type === 'redacted_thinking') {
        response.write(event('content_block_start', { type: 'content_block_start', index, content_block: block }));
      } else if (block.type === 'tool_use') {
        response.write(
          event('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
          }),
        );
        response.write(
          event('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: '{"city":' },
          }),
        );
        response.write(
          event('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: '"Paris"}' },
          }),
        );
      } else {
        response.write(event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
        for (const word of ['Hello', ' from', ' Claude.'])
          response.write(event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: word } }));
        if (mode === 'error-event') {
          response.end(event('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
          return;
        }
      }
      response.write(event('content_block_stop', { type: 'content_block_stop', index }));
    });
    if (response.writableEnded) return;
    response.write(
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: 7 },
      }),
    );
    response.end(event('message_stop', { type: 'message_stop' }));
  }

  /**
   * Anthropic's rule for extended thinking with tools: the assistant turn that made a tool call goes
   * back with its thinking blocks first, signatures and redacted data exactly as issued.
   */
  function checkThinkingHistory(messages: Array<Record<string, any>>): string | undefined {
    for (const [index, message] of messages.entries()) {
      if (message.role !== 'assistant' || !Array.isArray(message.content)) continue;
      const content = message.content as Array<Record<string, any>>;
      if (!content.some((block) => block.type === 'tool_use')) continue;
      const thinking = content.filter((block) => block.type === 'thinking');
      if (thinking.length === 0 || content[0]?.type !== 'thinking') {
        return `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${content[0]?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block.`;
      }
      for (const block of thinking) {
        if (typeof block.signature !== 'string' || issued.get(block.signature) !== block.thinking) {
          return `messages.${index}.content: Invalid \`signature\` in \`thinking\` block`;
        }
      }
      for (const block of content.filter((item) => item.type === 'redacted_thinking')) {
        if (!issuedRedacted.has(block.data)) return `messages.${index}.content: Invalid \`data\` in \`redacted_thinking\` block`;
      }
      if (!content.some((block) => block.type === 'redacted_thinking')) {
        return `messages.${index}.content: the \`redacted_thinking\` block of this turn is missing`;
      }
    }
    return undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
