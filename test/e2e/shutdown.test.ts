/**
 * Shutdown with answers longer than the grace period. When the grace runs out, a stream still
 * running gets what a client disconnect gets, but cleanly: an error chunk and `data: [DONE]` to the
 * client, a `cancelled` record, and a charge for what was delivered (estimated from the bytes sent,
 * since the upstream's usage never came). A JSON answer still waiting on its upstream gets a 503 it
 * can retry. All of it is in the database after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { fakeConfig, freshDatabase, MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const STREAMS = 50;

interface StreamRead {
  status: number;
  generationId: string | null;
  /** Content bytes of the chunks received before the error chunk. */
  contentBytes: number;
  contentChunks: number;
  errorChunk: Record<string, any> | undefined;
  done: boolean;
}

/** Reads an SSE answer with fetch, calling `onChunks(n)` as content chunks arrive. */
async function readStream(url: string, key: string, model: string, onChunks: (count: number) => void): Promise<StreamRead> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'a long answer please' }] }),
  });
  const read: StreamRead = {
    status: response.status,
    generationId: response.headers.get('x-agora-generation-id'),
    contentBytes: 0,
    contentChunks: 0,
    errorChunk: undefined,
    done: false,
  };
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (!frame.startsWith('data: ')) continue;
      const data = frame.slice(6);
      if (data === '[DONE]') {
        read.done = true;
        continue;
      }
      const chunk = JSON.parse(data) as Record<string, any>;
      if (chunk.error) {
        read.errorChunk = chunk;
        continue;
      }
      const content = chunk.choices?.[0]?.delta?.content;
      if (typeof content === 'string' && content !== '') {
        read.contentBytes += Buffer.byteLength(content);
        read.contentChunks++;
        onChunks(read.contentChunks);
      }
    }
  }
  return read;
}

describe('shutdown with streams longer than the grace period', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway | undefined;
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    database = await freshDatabase('sqlite');
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await database?.drop();
  });

  it('ends every stream with an error chunk and [DONE], records it cancelled and charges what was delivered, across a restart', async () => {
    // 400 words 40 ms apart: 16 s per answer, far longer than the grace.
    const yaml = fakeConfig(upstream.url, ['drip:40:400', 'slow:20000']).replace(
      /^timeouts: .*$/m,
      'timeouts: { connect_ms: 1000, first_byte_ms: 60000, idle_ms: 60000 }',
    );
    gateway = await startTestGateway({ yaml, databaseUrl: database.url });
    const created = await fetch(`${gateway.url}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'streams', credit: 10 }),
    });
    const { key, data: keyData } = (await created.json()) as { key: string; data: { account_id: string } };

    // Every stream has delivered at least three words before the shutdown starts.
    let ready = 0;
    let allReady!: () => void;
    const started = new Promise<void>((resolve) => (allReady = resolve));
    const reads = Array.from({ length: STREAMS }, () =>
      readStream(gateway!.url, key, 'acme/drip-40-400', (count) => {
        if (count === 3 && ++ready === STREAMS) allReady();
      }),
    );
    const waiting = Array.from({ length: 3 }, () =>
      fetch(`${gateway!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'acme/slow-20000', messages: [{ role: 'user', content: 'x' }] }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> })),
    );
    await started;
    await gateway.running.shutdown(100);
    const results = await Promise.all(reads);
    const jsonResults = await Promise.all(waiting);

    for (const read of results) {
      expect(read.status).toBe(200);
      expect(read.contentChunks).toBeGreaterThanOrEqual(3);
      expect(read.contentChunks).toBeLessThan(400); // cut, not finished
      expect(read.errorChunk).toBeDefined();
      expect(read.errorChunk!.choices[0].finish_reason).toBe('error');
      expect(read.errorChunk!.error).toMatchObject({ code: 503 });
      expect(read.errorChunk!.error.message).toContain('shutting down');
      expect(read.done).toBe(true);
    }
    for (const answer of jsonResults) {
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('gateway_shutting_down');
    }

    // Restart on the same database: every stream is there, cancelled, charged for what it delivered.
    gateway = await startTestGateway({ yaml, databaseUrl: database.url });
    const usage = await fetch(`${gateway.url}/api/v1/usage?format=json`, { headers: { authorization: `Bearer ${key}` } });
    const rows = ((await usage.json()) as { data: Array<Record<string, any>> }).data;
    const byId = new Map(rows.map((row) => [row.id, row]));
    let charged = 0n;
    for (const read of results) {
      const row = byId.get(read.generationId);
      expect(row).toMatchObject({ status: 'cancelled', finish_reason: 'error', usage_estimated: 1 });
      expect(row!.completion_tokens).toBe(Math.ceil(read.contentBytes / 4)); // exactly what reached the client
      expect(Number(row!.cost_usd)).toBeGreaterThan(0);
      charged += BigInt(Math.round(Number(row!.cost_usd) * 1e9));
    }
    expect(rows.filter((row) => row.status === 'cancelled' && row.model === 'acme/slow-20000')).toHaveLength(3);
    const credits = (await (await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      data: Record<string, any>;
    };
    expect(credits.data.account_id).toBe(keyData.account_id);
    expect(BigInt(Math.round(credits.data.total_usage * 1e9))).toBe(charged);
    expect(credits.data.balance).toBeCloseTo(10 - Number(charged) / 1e9, 9);
  });
});
