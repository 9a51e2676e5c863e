/**
 * Slow and greedy clients (nginx's client_header_timeout / client_body_timeout, and a per-address
 * connection cap): a body trickled at one byte at a time is cut by its deadline with a 408 in the
 * API's error shape; headers trickled likewise; one address cannot hold more than its share of
 * connections, and /health keeps answering other addresses throughout. Deadlines here are short so
 * the test waits on the gateway closing sockets, never on a timer of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { errorLines, fakeConfig, MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface Trickle {
  socket: Socket;
  /** Resolves when the gateway closed the connection, with everything it answered. */
  closed: Promise<string>;
  sent(): number;
  stop(): void;
}

/** Opens a raw connection from `localAddress`, sends `head`, then one byte of `tail` every `everyMs` until closed. */
function trickle(port: number, head: string, tail: string, everyMs: number, localAddress = '127.0.0.1'): Trickle {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  let received = '';
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => (received += text));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    }),
  );
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (sent < tail.length && !socket.destroyed) {
        socket.write(tail[sent]!);
        sent++;
      }
    }, everyMs);
  });
  return { socket, closed, sent: () => sent, stop: () => clearInterval(timer) };
}

function get(url: string, path: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { localAddress, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

const BODY = JSON.stringify({ model: 'acme/ok', messages: [{ role: 'user', content: 'x'.repeat(500) }] });

describe('slow clients meet deadlines', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let port: number;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({
      yaml: `${fakeConfig(upstream.url, ['ok'])}\nserver: { header_timeout_ms: 400, body_timeout_ms: 800 }`,
    });
    port = gateway.running.port;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('a body trickled one byte at a time is cut by its deadline with a 408 in OpenAI shape', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n`;
    const slow = trickle(port, head, BODY, 50);
    const answer = await slow.closed;
    expect(slow.sent()).toBeLessThan(BODY.length); // cut while the body was still arriving
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(json.error).toMatchObject({ code: 'request_timeout', type: 'invalid_request_error' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('headers trickled one byte at a time are cut too', async () => {
    const slow = trickle(
      port,
      'POST /v1/chat/completions HTTP/1.1\r\n',
      `authorization: Bearer ${MASTER_KEY}\r\nx-padding: ${'y'.repeat(2000)}\r\n\r\n`,
      50,
    );
    const answer = await slow.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('request_timeout');
  });

  it('a client sending at a normal pace is served, and no deadline wrote an error line', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: BODY,
    });
    expect(response.status).toBe(200);
    expect(errorLines(gateway)).toEqual([]);
  });
});

describe('one address cannot take every connection', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let port: number;
  const LIMIT = 10;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({
      // Deadlines far beyond the test: the held connections stay until the test lets them go.
      yaml: `${fakeConfig(upstream.url, ['ok'])}\nserver: { header_timeout_ms: 60000, body_timeout_ms: 120000, max_connections_per_client: ${LIMIT} }`,
    });
    port = gateway.running.port;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it(`holds at most ${LIMIT} from one address (the rest get 429 and are closed), /health answers others, and closed slots are freed`, async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n`;
    const held: Trickle[] = [];
    for (let index = 0; index < LIMIT; index++) {
      const slow = trickle(port, head, BODY, 100);
      await new Promise((resolve) => slow.socket.once('connect', resolve));
      held.push(slow);
    }
    // Over the cap: refused at once with a 429 in OpenAI's shape, then closed.
    const refused = await Promise.all(Array.from({ length: 5 }, () => trickle(port, head, BODY, 100).closed));
    for (const answer of refused) {
      expect(answer).toMatch(/^HTTP\/1\.1 429 /);
      expect(answer).toContain('too_many_connections');
      expect(answer.toLowerCase()).toContain('retry-after: 1');
    }
    // Another address is served while this one is at its cap.
    expect(await get(gateway.url, '/health', '127.0.0.2')).toBe(200);
    // The held connections go away; then this address is served again.
    for (const slow of held) slow.socket.destroy();
    await Promise.all(held.map((slow) => slow.closed));
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await get(gateway.url, '/health', '127.0.0.1').catch(() => 0); // the server may still be counting a closing socket
    }
    expect(status).toBe(200);
    expect(upstream.requests).toHaveLength(0);
    expect(errorLines(gateway)).toEqual([]);
  });
});
