/**
 * A scripted Gemini API upstream on loopback (ai.google.dev/api/generate-content): the model name
 * in the path picks the behaviour — `ok`, `tools`, `thinking`; `:streamGenerateContent?alt=sse`
 * streams; `:batchEmbedContents` embeds. Requests are kept with their path and headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GeminiFake {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, any> }>;
  close(): Promise<void>;
}

export async function startGeminiFake(): Promise<GeminiFake> {
  const requests: GeminiFake['requests'] = [];
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString() || '{}') as Record<string, any>;
      const path = request.url ?? '';
      requests.push({ path, headers: request.headers, body });
      const [, model = '', method = ''] = /\/models\/([^:]+):(\w+)/.exec(path) ?? [];
      if (method === 'batchEmbedContents') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ embeddings: (body.requests as unknown[]).map((_, index) => ({ values: [index, 0.5, 0.25] })) }));
        return;
      }
      const usage = {
        promptTokenCount: 10,
        candidatesTokenCount: 4,
        thoughtsTokenCount: model === 'thinking' ? 6 : 0,
        totalTokenCount: 20,
      };
      const candidateParts: any[] = [];
      if (model === 'thinking') candidateParts.push({ text: 'Think first.', thought: true });
      if (model === 'tools') candidateParts.push({ functionCall: { name: 'get_weather', args: { city: 'Paris' } } });
      else candidateParts.push({ text: 'Hello from Gemini.' });
      const reply = (partsToSend: any[], finish?: string) => ({
        candidates: [{ content: { role: 'model', parts: partsToSend }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
        usageMetadata: usage,
        modelVersion: model,
        responseId: 'gemini-resp-1',
      });
      if (method === 'generateContent') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(reply(candidateParts, 'STOP')));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      candidateParts.forEach((part, index) =>
        response.write(`data: ${JSON.stringify(reply([part], index === candidateParts.length - 1 ? 'STOP' : undefined))}\r\n\r\n`),
      );
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
