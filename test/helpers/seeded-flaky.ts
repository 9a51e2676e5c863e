/**
 * An endpoint that fails a seeded share of its requests: the n-th request it receives fails with
 * HTTP 500 (OpenAI's error shape) when the n-th draw of a seeded PRNG is below the rate, and is
 * otherwise passed unchanged to `target` (a fake upstream). The same seed gives the same sequence
 * of outcomes, in order of arrival, whatever the timing, the concurrency or the gateway's own
 * random choices about which requests come here.
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './random.js';

export interface SeededFlaky {
  url: string;
  /** One entry per request received, in order of arrival. */
  outcomes: Array<'ok' | 'failed'>;
  close(): Promise<void>;
}

export async function startSeededFlaky(target: { port: number }, options: { failPercent: number; seed: number }): Promise<SeededFlaky> {
  const random = seededRandom(options.seed);
  const outcomes: SeededFlaky['outcomes'] = [];
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((request, response) => {
    const failed = random() * 100 < options.failPercent; // drawn on arrival, so the n-th request gets the n-th draw
    outcomes.push(failed ? 'failed' : 'ok');
    if (failed) {
      request.resume();
      request.on('end', () => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { message: `seeded flaky endpoint failed (${options.failPercent}%)`, type: 'server_error', code: null },
          }),
        );
      });
      return;
    }
    const forward = httpRequest(
      { host: '127.0.0.1', port: target.port, path: request.url, method: request.method, headers: request.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    response.on('close', () => {
      if (!response.writableFinished) forward.destroy();
    });
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    outcomes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
