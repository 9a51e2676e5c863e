/**
 * A hostile upstream for the canary-secret suite: every error it sends echoes every header it
 * received (as some real servers and proxies do in debug mode), in each vendor's wire format.
 * It answers OpenAI-compatible (`/openai/v1/chat/completions`), Anthropic (`/anthropic/v1/messages`)
 * and Gemini (`/gemini/v1beta/models/{model}:{method}`) paths; the model name picks the failure:
 * - `status-N`: HTTP status N with a JSON error body carrying the headers;
 * - `text-N`: status N with a plain-text body in which the credentials start near character 500;
 * - `inband`: 200 whose JSON (or first SSE event) is an error object carrying the headers;
 * - `midstream`: a stream that sends some text, then an in-band error (`event: error` for Anthropic);
 * - `ok`: a normal answer.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoUpstream {
  url: string;
  requests: number;
  close(): Promise<void>;
}

function headerDump(headers: IncomingHttpHeaders): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('; ');
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  let requests = 0;
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      requests++;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        body = {};
      }
      const path = request.url ?? '';
      const vendor = path.startsWith('/anthropic') ? 'anthropic' : path.startsWith('/gemini') ? 'gemini' : 'openai';
      const model = vendor === 'gemini' ? (/\/models\/([^:]+):/.exec(path)?.[1] ?? '') : String(body.model ?? '');
      const stream = vendor === 'gemini' ? path.includes('streamGenerateContent') : body.stream === true;
      answer(vendor, model, stream, request.headers, response);
    });
  });

  function answer(
    vendor: 'openai' | 'anthropic' | 'gemini',
    model: string,
    stream: boolean,
    headers: IncomingHttpHeaders,
    response: ServerResponse,
  ): void {
    const dump = headerDump(headers);
    const errorJson = (status: number): unknown =>
      vendor === 'anthropic'
        ? { type: 'error', error: { type: 'authentication_error', message: `rejected; I was sent ${dump}` } }
        : vendor === 'gemini'
          ? { error: { code: status, status: 'PERMISSION_DENIED', message: `rejected; I was sent ${dump}` } }
          : { error: { message: `rejected; I was sent ${dump}`, type: 'invalid_request_error', code: 'echo', headers } };
    const [mode, arg] = model.split('-');
    if (mode === 'status') {
      const status = Number(arg);
      response.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
      response.end(JSON.stringify(errorJson(status)));
      return;
    }
    if (mode === 'text') {
      // The first credential starts at character 482, so a cut at 500 before redaction would keep an 18-character prefix.
      const credentials = ['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'x-org-secret'].filter(
        (name) => headers[name] !== undefined,
      );
      const ordered = headerDump(
        Object.fromEntries([
          ...credentials.map((name) => [name, headers[name]]),
          ...Object.entries(headers).filter(([name]) => !credentials.includes(name)),
        ]),
      );
      const first = ordered.indexOf(': ') + 2 + (ordered.startsWith('authorization: Bearer ') ? 'Bearer '.length : 0);
      response.writeHead(Number(arg), { 'content-type': 'text/plain' });
      response.end(`${'upstream debug trace '.repeat(30).slice(0, 482 - first)}${ordered}`);
      return;
    }
    if (mode === 'inband' && !stream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(errorJson(503)));
      return;
    }
    if (mode === 'inband' || mode === 'midstream') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (vendor === 'anthropic') {
        const message = {
          id: 'msg_echo',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 3, output_tokens: 1 },
        };
        response.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message })}\n\n`);
        if (mode === 'midstream') {
          response.write(
            `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
          );
          response.write(
            `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Some text' } })}\n\n`,
          );
        }
        response.end(
          `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: `broke; I was sent ${dump}` } })}\n\n`,
        );
        return;
      }
      if (vendor === 'gemini') {
        if (mode === 'midstream')
          response.write(
            `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Some text' }] }, index: 0 }] })}\n\n`,
          );
        response.end(`data: ${JSON.stringify(errorJson(500))}\n\n`);
        return;
      }
      if (mode === 'midstream') {
        response.write(
          `data: ${JSON.stringify({ id: 'echo', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { role: 'assistant', content: 'Some text' }, finish_reason: null }] })}\n\n`,
        );
      }
      response.end(`data: ${JSON.stringify(errorJson(500))}\n\ndata: [DONE]\n\n`);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(errorJson(404)));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
