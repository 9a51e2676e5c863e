/**
 * bench/settled-node-proxy.mjs (node_settled in bench:peers): the plain proxy plus the settlement
 * rule. Its figures mean something only if it forwards the upstream's bytes unchanged and every
 * answer a client holds whole has its ledger row committed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ANSWER = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
});
const FRAMES = [
  'data: {"id":"c1","choices":[{"delta":{"content":"a"}}]}\n\n',
  'data: {"id":"c1","choices":[{"delta":{"content":"b"}}]}\n\n',
  'data: [DONE]\n\n',
];

let upstream: Server;
/** Lets the dripping upstream send the rest of its stream (the test calls it once the first frame arrived). */
let releaseDrip: () => void = () => undefined;
const dripReleased = new Promise<void>((resolve) => {
  releaseDrip = resolve;
});
let proxy: ChildProcess;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'settled-test-'));
const db = join(dir, 'settled.db');

beforeAll(async () => {
  upstream = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/drip/v1/chat/completions') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(FRAMES[0]);
        void dripReleased.then(() => response.end(FRAMES.slice(1).join('')));
        return;
      }
      if (request.url === '/stream/v1/chat/completions') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        // three writes: the proxy sees the frames as separate chunks and must forward them all
        for (const frame of FRAMES) response.write(frame);
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
      response.end(ANSWER);
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = spawn(process.execPath, ['bench/settled-node-proxy.mjs'], { env: { ...process.env, PORT: '0', UPSTREAM: upstreamUrl, DB: db } });
  const [line] = (await once(proxy.stdout!, 'data')) as [Buffer];
  base = /on (http:\/\/\S+)/.exec(line.toString())![1]!;
});

afterAll(async () => {
  proxy.kill('SIGTERM');
  await once(proxy, 'exit');
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });

describe('node_settled, the floor under the contract', () => {
  it("forwards the upstream's answers byte for byte, JSON and SSE, and each answer delivered has its ledger row committed", async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => post('/v1/chat/completions')),
      post('/stream/v1/chat/completions'),
    ]);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    expect(answers.map((answer) => answer.status)).toEqual(Array(7).fill(200));
    expect(bodies.slice(0, 6)).toEqual(Array(6).fill(ANSWER));
    expect(bodies[6]).toBe(FRAMES.join(''));
    expect(answers[6]!.headers.get('content-type')).toBe('text/event-stream');
    const ledger = new Database(db, { readonly: true });
    try {
      const rows = ledger.prepare('select count(*) as n, count(distinct id) as ids from ledger_entries').get() as {
        n: number;
        ids: number;
      };
      expect(rows).toEqual({ n: 7, ids: 7 });
    } finally {
      ledger.close();
    }
  });

  it('answers 502 in JSON when the upstream cannot be reached', async () => {
    const dead = spawn(process.execPath, ['bench/settled-node-proxy.mjs'], {
      env: { ...process.env, PORT: '0', UPSTREAM: 'http://127.0.0.1:1', DB: join(dir, 'dead.db') },
    });
    try {
      const [line] = (await once(dead.stdout!, 'data')) as [Buffer];
      const url = /on (http:\/\/\S+)/.exec(line.toString())![1]!;
      const answer = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(answer.status).toBe(502);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/^upstream error: /);
    } finally {
      dead.kill('SIGTERM');
      await once(dead, 'exit');
    }
  });

  it("passes an event stream's frames on as they come, before the upstream sends the next", async () => {
    const answer = await post('/drip/v1/chat/completions');
    const reader = answer.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(FRAMES[0]!)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe(FRAMES[0]); // nothing held back, nothing more yet: the upstream has sent only this
    releaseDrip();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe(FRAMES.join(''));
  });
});
