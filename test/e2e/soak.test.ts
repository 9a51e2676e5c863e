/**
 * Reliability under load. A soak: 2,000 requests at 32 concurrent while upstream processes are
 * killed (SIGKILL) and restarted by PID, always leaving one alive: no client may see a failure.
 * And the routing bar: with three endpoints of one model, one failing at random 30% of the time,
 * all 1,000 requests succeed and the flaky one gets under 10% of the traffic after the first 100.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { routingConfig, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const FAKE = join(import.meta.dirname, '../fakes/openai-upstream.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An upstream in its own process, so it can be killed by PID and started again on the same port. */
class UpstreamProcess {
  child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly name: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', FAKE, '--serve', String(this.port), this.name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`upstream ${this.name} exited with ${code}`)));
    });
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

async function runPool<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

describe('soak: upstreams stopped and restarted under load', () => {
  const upstreams: UpstreamProcess[] = [];
  let gateway: TestGateway | undefined;

  afterAll(async () => {
    await gateway?.close();
    for (const upstream of upstreams) upstream.kill();
  });

  it('2,000 requests at 32 concurrent, zero client-visible failures', async () => {
    for (const name of ['a', 'b', 'c']) {
      const upstream = new UpstreamProcess(await freePort(), name);
      await upstream.start();
      upstreams.push(upstream);
    }
    gateway = await startTestGateway({
      yaml: routingConfig(
        Object.fromEntries(upstreams.map((upstream) => [upstream.name, `http://127.0.0.1:${upstream.port}/v1`])),
        { 'soak/chat': upstreams.map((upstream) => ({ provider: upstream.name, model: 'ok' })) },
        'routing: { ejection_base_ms: 300 }',
      ),
    });
    const client = gateway.client(await gateway.createKey('soak'));
    let done = false;
    let restarts = 0;
    const chaos = (async () => {
      while (!done) {
        const victim = upstreams[Math.floor(Math.random() * upstreams.length)]!;
        victim.kill();
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 250));
        await victim.start();
        restarts++;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      }
    })();
    const failures: string[] = [];
    await runPool(2_000, 32, async (index) => {
      try {
        if (index % 4 === 0) {
          const stream = await client.chat.completions.create({
            model: 'soak/chat',
            messages: [{ role: 'user', content: `n${index}` }],
            stream: true,
          });
          let text = '';
          let finish: string | null = null;
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
          }
          if (text !== 'Hello from the fake upstream.' || finish !== 'stop') failures.push(`stream ${index}: ${finish} ${text}`);
        } else {
          const answer = await client.chat.completions.create({ model: 'soak/chat', messages: [{ role: 'user', content: `n${index}` }] });
          if (answer.choices[0]?.message.content !== 'Hello from the fake upstream.') failures.push(`chat ${index}`);
        }
      } catch (error) {
        failures.push(`${index}: ${(error as Error).message}`);
      }
    });
    done = true;
    await chaos;
    expect(restarts).toBeGreaterThanOrEqual(3);
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('routing around a flaky endpoint', () => {
  const fakes: FakeUpstream[] = [];
  let gateway: TestGateway | undefined;

  afterAll(async () => {
    await gateway?.close();
    for (const fake of fakes) await fake.close();
  });

  it('1,000 requests all succeed; the 30%-failing endpoint gets under 10% of traffic after the first 100', async () => {
    for (const name of ['steady1', 'steady2', 'flaky']) fakes.push(await startFakeUpstream({ name }));
    gateway = await startTestGateway({
      yaml: routingConfig(Object.fromEntries(fakes.map((fake, index) => [['steady1', 'steady2', 'flaky'][index]!, fake.url])), {
        'flaky/chat': [
          { provider: 'steady1', model: 'ok' },
          { provider: 'steady2', model: 'ok' },
          { provider: 'flaky', model: 'flaky:30' },
        ],
      }),
    });
    const client = gateway.client(await gateway.createKey('flaky'));
    const flaky = fakes[2]!;
    let flakyAtHundred = 0;
    const statuses = await runPool(1_000, 8, async (index) => {
      if (index === 100) flakyAtHundred = flaky.requests.length;
      const { response } = await client.chat.completions
        .create({ model: 'flaky/chat', messages: [{ role: 'user', content: `q${index}` }] })
        .withResponse();
      return response.status;
    });
    expect(statuses.filter((status) => status === 200)).toHaveLength(1_000);
    // Share of the last 900 requests that reached the flaky endpoint at all (first try or retry).
    const flakyAfter = flaky.requests.length - flakyAtHundred;
    expect(flakyAfter / 900).toBeLessThan(0.1);
    expect(flaky.requests.length).toBeGreaterThan(0); // it was tried, and its failures were absorbed
  }, 60_000);
});
