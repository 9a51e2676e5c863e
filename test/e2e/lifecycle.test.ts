/**
 * The process around the API: embeddings, client disconnects, keys created by the CLI against a
 * running gateway's database, and SIGTERM draining in-flight streams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI, { APIError } from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { pollUntil } from '../helpers/events.js';
import {
  fakeConfig,
  freshDatabase,
  MASTER_KEY,
  routingConfig,
  startTestGateway,
  UPSTREAM_KEY,
  type TestDatabase,
  type TestGateway,
} from '../helpers/gateway.js';
import { startHeldStreamUpstream, type HeldStreamUpstream } from '../helpers/held-stream.js';
import { openStore } from '../../src/store/index.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/agora.js');
const EMBEDDING_MODEL = `  acme/embed:\n    kind: embedding\n    endpoints:\n      - { provider: acme, model: embed-v1, pricing: { prompt: 0.02, completion: 0 } }`;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 20_000 });
}

describe('embeddings and disconnects', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok', 'drip:100:60'], EMBEDDING_MODEL) });
    client = gateway.client(await gateway.createKey());
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('serves embeddings through the upstream', async () => {
    const { data, response } = await client.embeddings
      .create({ model: 'acme/embed', input: ['one', 'two'], encoding_format: 'float' })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.data[1]?.embedding).toEqual([0.2, 0.2, 0.3]);
    expect(data.model).toBe('acme/embed');
    expect(data.usage.prompt_tokens).toBe(8);
    expect(response.headers.get('x-agora-provider')).toBe('acme');
    expect(upstream.requests[upstream.requests.length - 1]!.body).toMatchObject({ model: 'embed-v1', input: ['one', 'two'] });
    const wrongKind = await client.embeddings.create({ model: 'acme/ok', input: 'x' }).catch((error: unknown) => error);
    expect((wrongKind as APIError).status).toBe(400);
  });

  it('cancels the upstream call when the client goes away: the upstream is cut long before its answer is done', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'acme/drip-100-60', messages: [{ role: 'user', content: 'long answer' }], stream: true },
      { signal: controller.signal },
    );
    const closesBefore = upstream.closedEarly.length;
    const servedBefore = upstream.served.length;
    let aborted = false;
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        chunks++;
        if (chunk.choices[0]?.delta.content && !aborted) {
          aborted = true;
          controller.abort(); // the SDK ends the iteration quietly on abort
        }
      }
    } catch {
      // some SDK versions throw an APIUserAbortError instead
    }
    expect(aborted).toBe(true);
    expect(chunks).toBeLessThan(10); // 60 chunks were coming, 100 ms apart
    // The fake notes a connection its client closed before the answer was complete: wait for that event.
    if (upstream.closedEarly.length === closesBefore) await once(upstream.events, 'closed-early');
    expect(upstream.closedEarly.length).toBe(closesBefore + 1);
    expect(upstream.served.length).toBe(servedBefore); // the 60-chunk answer never completed upstream
  });
});

describe.each<TestDatabase>(['sqlite', 'postgres'])('keys from the CLI on %s', (database) => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startTestGateway({ yaml: fakeConfig(upstream.url, ['ok']), database, keyRefreshMs: 200 });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('a key created by `agora keys create` works at once; `agora keys disable` stops it', async () => {
    const created = await cli(['keys', 'create', '--name', 'from-cli', '--rpm', '60', '--db', gateway.databaseUrl]);
    const lines = created.stdout.trim().split('\n');
    const key = lines[lines.length - 1]!;
    expect(key).toMatch(/^sk-agora-[A-Za-z0-9]{43}$/);
    const answer = await gateway.client(key).chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('Hello from the fake upstream.');

    const listed = await cli(['keys', 'list', '--db', gateway.databaseUrl]);
    expect(listed.stdout).toContain('from-cli');
    expect(listed.stdout).not.toContain(key);
    const id = /^(key_\w+)\s+from-cli/m.exec(listed.stdout)![1]!;
    await cli(['keys', 'disable', id, '--db', gateway.databaseUrl]);
    // The running gateway sees the change with its next background refresh of the key directory.
    await gateway.running.gateway.keys.nextLoad();
    const status = await gateway
      .client(key)
      .chat.completions.create({ model: 'acme/ok', messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => 200,
        (error: APIError) => error.status ?? 0,
      );
    expect(status).toBe(401);
  });
});

describe('SIGTERM', () => {
  let upstream: HeldStreamUpstream;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    upstream = await startHeldStreamUpstream(30);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await upstream?.close();
  });

  it('stops accepting, lets the in-flight stream finish, flushes the store and exits 0', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agora-sigterm-'));
    const configFile = join(folder, 'agora.yaml');
    // The upstream holds its stream until the test releases it: give it all the time it needs.
    const patient = 'timeouts: { connect_ms: 5000, first_byte_ms: 60000, idle_ms: 60000 }';
    writeFileSync(
      configFile,
      routingConfig({ acme: { url: upstream.url, extra: patient } }, { 'acme/held': [{ provider: 'acme', model: 'held' }] }),
    );
    const database = await freshDatabase('sqlite');
    const gatewayProcess = spawn(
      process.execPath,
      [CLI, 'serve', '--config', configFile, '--db', database.url, '--port', '0', '--log-level', 'info'],
      {
        env: { ...process.env, AGORA_MASTER_KEY: MASTER_KEY, ACME_TEST_KEY: UPSTREAM_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = gatewayProcess;
    let stdout = '';
    let stderr = '';
    gatewayProcess.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
    gatewayProcess.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    const exited = new Promise<number | null>((resolve) => gatewayProcess.on('exit', (code) => resolve(code)));
    // the address, from the line the gateway prints once it listens
    const url = await new Promise<string>((resolve, reject) => {
      const look = (): void => {
        const found = /on (http:\/\/\S+?) /.exec(stdout);
        if (!found) return;
        gatewayProcess.stdout!.off('data', look);
        resolve(found[1]!);
      };
      gatewayProcess.stdout!.on('data', look);
      void exited.then((code) => reject(new Error(`the gateway exited (${code}) before listening: ${stderr}`)));
    });
    const port = Number(new URL(url).port);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });

    const stream = await client.chat.completions.create({
      model: 'acme/held',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    await upstream.holding(); // the stream is in flight, and stays so until released below
    gatewayProcess.kill('SIGTERM');
    // New connections are refused while the stream is still running: connect again as soon as each
    // attempt is settled, until one is refused. An attempt caught in the listener's closing (reset
    // before it was accepted) tries again.
    const refusal = await pollUntil(
      () =>
        new Promise<string>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve('accepted');
          });
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
        }),
      (outcome) => (outcome !== 'accepted' && outcome !== 'ECONNRESET') || gatewayProcess.exitCode !== null,
      { maxAttempts: 100_000, withinMs: 15_000 },
    );
    expect(refusal.last).toBe('ECONNREFUSED');
    expect(gatewayProcess.exitCode).toBeNull(); // still draining: the held stream keeps it alive
    upstream.release();
    let finish: string | null | undefined;
    let chunks = 1;
    let id = first.value!.id;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunks++;
      id = next.value.id;
      finish = next.value.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThanOrEqual(31);
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(UPSTREAM_KEY);
    const store = await openStore(database.url);
    const row = await store.generations.findById(id);
    await store.close();
    await database.drop();
    rmSync(folder, { recursive: true, force: true });
    expect(row).toMatchObject({ status: 'success', completion_tokens: 30, streamed: 1 });
  });
});
