/**
 * An OpenAI-compatible upstream whose streamed answers the test paces: each stream sends its role
 * chunk and first word at once, then holds until `release()`, then sends the rest, the finish
 * chunk, usage and `[DONE]`. A test can act while a stream is certainly in flight (no drip timer to
 * race against), however slow the machine.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldStreamUpstream {
  url: string;
  /** Resolves once a stream has sent its first word and holds. */
  holding(): Promise<void>;
  /** Lets every held stream finish; streams that start afterwards are not held. */
  release(): void;
  close(): Promise<void>;
}

/** `words` content chunks per answer (completion tokens reported: the same number). */
export async function startHeldStreamUpstream(words: number): Promise<HeldStreamUpstream> {
  let released = false;
  const held: Array<() => void> = [];
  let onHolding: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => (onHolding = resolve));
  const chunk = (id: string, model: string, delta: Record<string, unknown>, finish: string | null = null, usage: unknown = null): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_718_000_000, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage })}\n\n`;
  let counter = 0;

  const answer = (response: ServerResponse, model: string): void => {
    const id = `chatcmpl-held-${++counter}`;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(chunk(id, model, { role: 'assistant', content: '' }));
    response.write(chunk(id, model, { content: 'word0' }));
    const rest = (): void => {
      if (response.destroyed) return;
      for (let index = 1; index < words; index++) response.write(chunk(id, model, { content: ` word${index}` }));
      response.write(chunk(id, model, {}, 'stop'));
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_718_000_000, model, choices: [], usage: { prompt_tokens: 12, completion_tokens: words, total_tokens: 12 + words } })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
    };
    if (released) {
      rest();
      return;
    }
    held.push(rest);
    onHolding();
  };

  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as { model?: string; stream?: boolean };
      if (!body.stream) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'this fake only streams', type: 'invalid_request_error', code: null } }));
        return;
      }
      answer(response, String(body.model ?? 'held'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    holding: () => holding,
    release: () => {
      released = true;
      for (const rest of held.splice(0)) rest();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
