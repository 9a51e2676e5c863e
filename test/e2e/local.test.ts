/**
 * `agora serve --local FILE.gguf`: the tiny random-weight GGUF served in-process by llama.cpp and
 * reached through the `openai` SDK. Two clients stream at once while /health keeps answering (the
 * inference runs off the event loop). Skipped with a message without ../shared or node-llama-cpp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { freshDatabase, MASTER_KEY } from '../helpers/gateway.js';

const MODEL = join(import.meta.dirname, '../../../shared/models/llama-2-tiny-random.gguf');
const CLI = join(import.meta.dirname, '../../bin/agora.js');
const runtime = await import('node-llama-cpp' as string).then(
  () => true,
  () => false,
);
const ready = existsSync(MODEL) && runtime;
if (!ready) console.warn(`local model e2e skipped: ${existsSync(MODEL) ? 'node-llama-cpp is not installed' : `${MODEL} is absent`}`);

describe.skipIf(!ready)('agora serve --local', () => {
  let child: ChildProcess;
  let url = '';
  let drop: () => Promise<void>;
  let databaseUrl = '';

  beforeAll(async () => {
    const database = await freshDatabase('sqlite');
    drop = database.drop;
    databaseUrl = database.url;
    child = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--local',
        MODEL,
        '--local-threads',
        '1',
        '--local-sequences',
        '2',
        '--db',
        database.url,
        '--port',
        '0',
        '--log-level',
        'warn',
      ],
      {
        env: { ...process.env, AGORA_MASTER_KEY: MASTER_KEY },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (data: Buffer) => {
        out += data.toString();
        const match = /on (http:\/\/\S+?) /.exec(out);
        if (match) {
          url = match[1]!;
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`agora serve exited with ${code}`)));
    });
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGTERM');
    await drop?.();
  });

  it('lists local/<name> and streams real tokens to two clients at once while /health answers', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('local/llama-2-tiny-random');

    const healthAnswers: number[] = [];
    let streaming = 2;
    const poll = (async () => {
      while (streaming > 0) {
        const response = await fetch(`${url}/health`);
        healthAnswers.push(response.status);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const stream = async (
      prompt: string,
    ): Promise<{ text: string; chunks: number; finish: string | null; completion: number | undefined }> => {
      const result = await client.chat.completions.create({
        model: 'local/llama-2-tiny-random',
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 48,
        stream: true,
      });
      let text = '';
      let chunks = 0;
      let finish: string | null = null;
      let completion: number | undefined;
      for await (const chunk of result) {
        const content = chunk.choices[0]?.delta.content ?? '';
        if (content) chunks++;
        text += content;
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) completion = chunk.usage.completion_tokens;
      }
      streaming--;
      return { text, chunks, finish, completion };
    };
    const [first, second] = await Promise.all([stream('Tell me a story'), stream('Count to ten')]);
    await poll;
    for (const result of [first, second]) {
      expect(result.chunks).toBeGreaterThan(1);
      expect(result.finish).toBe('length');
      expect(result.completion).toBe(48);
    }
    expect(healthAnswers.length).toBeGreaterThan(1); // the event loop kept serving while both generated
    expect(healthAnswers.every((status) => status === 200)).toBe(true);
  });

  it('a benchmark run against the in-process model completes, every item stored with its tokens', async () => {
    const { runSuite } = await import('../../src/evals/runner.js');
    const { openStore } = await import('../../src/store/index.js');
    const store = await openStore(databaseUrl);
    try {
      const items = [
        ['2 + 2', 4],
        ['3 + 5', 8],
        ['7 + 1', 8],
      ].map(([sum, total], index) => ({ id: String(index), prompt: `What is ${sum}? Answer: `, reference: total }));
      const result = await runSuite({
        gatewayUrl: url,
        apiKey: MASTER_KEY,
        suite: {
          name: 'tiny-sums',
          description: 'three sums (random weights: the score says nothing, completion does)',
          template: '{sum}',
          maxTokens: 8,
          items,
          extract: (answer) => /-?\d+/.exec(answer)?.[0] ?? null,
          score: (extracted, item) => ({ correct: extracted === String(item.reference) }),
        },
        source: 'inline',
        model: 'local/llama-2-tiny-random',
        concurrency: 2,
        repeats: 1,
        temperature: 0,
        store: store.evals,
      });
      expect(result.complete).toBe(true);
      expect(result.totals).toMatchObject({ n: 3, errors: 0, completion_tokens: 24 });
      expect((await store.evals.items(result.run.id)).every((item) => item.provider === 'local')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
