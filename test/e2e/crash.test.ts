/**
 * kill -9 of the gateway at random points during 1,000 requests, restarted each time on the same
 * database. Afterwards: every answer a client received complete is charged exactly once, every
 * charge matches what the fake provider says it served (its own meter, by response id) to the
 * nanodollar, no response is charged twice, and no reservation is left behind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, routingConfig, UPSTREAM_KEY } from '../helpers/gateway.js';
import { openStore } from '../../src/store/index.js';

const CLI = join(import.meta.dirname, '../../bin/agora.js');
const run = promisify(execFile);
// usage reported by the fake for `ok`: 12 prompt + 6 completion tokens; at $1 / $2 per 1M: 24,000 nanodollars
const PRICE = { prompt: 1, completion: 2 };
const costOf = (prompt: number, completion: number): number => (prompt * PRICE.prompt + completion * PRICE.completion) * 1000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('kill -9 during load', () => {
  let upstream: FakeUpstream | undefined;
  let child: ChildProcess | undefined;
  const folder = mkdtempSync(join(tmpdir(), 'agora-crash-'));

  afterAll(async () => {
    child?.kill('SIGKILL');
    await upstream?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('loses no charge and doubles none', async () => {
    upstream = await startFakeUpstream({ name: 'meter' });
    const config = join(folder, 'agora.yaml');
    writeFileSync(config, routingConfig({ acme: upstream.url }, { 'acme/chat': [{ provider: 'acme', model: 'ok', ...PRICE }] }));
    const database = `sqlite:${join(folder, 'agora.db')}`;
    const created = await run(process.execPath, [CLI, 'keys', 'create', '--name', 'crash', '--credit', '100', '--db', database]);
    const key = created.stdout.trim().split('\n').pop()!;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    const start = async (): Promise<void> => {
      const process_ = spawn(
        process.execPath,
        [CLI, 'serve', '--config', config, '--db', database, '--port', String(port), '--log-level', 'error'],
        {
          env: { ...process.env, AGORA_MASTER_KEY: MASTER_KEY, ACME_TEST_KEY: UPSTREAM_KEY },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      child = process_;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        process_.stdout!.on('data', (data: Buffer) => {
          out += data.toString();
          if (out.includes('Agora gateway on')) resolve();
        });
        process_.once('exit', (code) => reject(new Error(`gateway exited early (${code})`)));
      });
    };
    await start();

    const complete = new Map<string, 'json' | 'stream'>();
    let next = 0;
    let kills = 0;
    let done = false;
    const chaos = (async () => {
      while (!done) {
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 300));
        if (done) break;
        const victim = child!;
        const exited = new Promise((resolve) => victim.once('exit', resolve));
        victim.kill('SIGKILL');
        await exited;
        kills++;
        await start();
      }
    })();
    const worker = async (): Promise<void> => {
      while (next < 1_000) {
        const index = next++;
        const stream = index % 2 === 0;
        try {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'acme/chat', max_tokens: 50, stream, messages: [{ role: 'user', content: `n${index}` }] }),
          });
          const text = await response.text();
          if (response.status !== 200) continue;
          if (stream) {
            if (!text.endsWith('data: [DONE]\n\n')) continue;
            const first = JSON.parse(text.slice('data: '.length, text.indexOf('\n'))) as { id: string };
            complete.set(first.id, 'stream');
          } else {
            complete.set((JSON.parse(text) as { id: string }).id, 'json');
          }
        } catch {
          // the gateway died under this request (or is restarting): no complete answer; back off a little
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    done = true;
    await chaos;
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(complete.size).toBeGreaterThan(300);

    // a clean restart: balances are recomputed from the ledger, nothing is reserved
    const credits = (await (await fetch(`${url}/api/v1/credits`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      data: Record<string, number>;
    };
    expect(credits.data.reserved).toBe(0);

    const store = await openStore(database);
    const entries = await store.db.selectFrom('ledger_entries').selectAll().execute();
    await store.close();
    const charges = entries.filter((entry) => entry.kind === 'charge');
    const served = new Map(upstream.served.map((record) => [record.id, record]));
    const chargedGenerations = new Set<string>();
    const chargedUpstream = new Set<string>();
    for (const charge of charges) {
      expect(chargedGenerations.has(charge.generation_id!)).toBe(false);
      chargedGenerations.add(charge.generation_id!);
      expect(chargedUpstream.has(charge.upstream_id!)).toBe(false); // one upstream answer, one charge
      chargedUpstream.add(charge.upstream_id!);
      const meter = served.get(charge.upstream_id!);
      expect(meter, `charge ${charge.id} has no answer in the provider's meter`).toBeDefined();
      expect(-charge.amount).toBe(costOf(meter!.promptTokens, meter!.completionTokens));
    }
    for (const id of complete.keys()) expect(chargedGenerations.has(id), `complete answer ${id} was not charged`).toBe(true);
    const balance = entries.reduce((sum, entry) => sum + entry.amount, 0);
    const expectedCharged = charges.reduce((sum, charge) => {
      const meter = served.get(charge.upstream_id!)!;
      return sum + costOf(meter.promptTokens, meter.completionTokens);
    }, 0);
    expect(balance).toBe(100 * 1e9 - expectedCharged);
    expect(credits.data.balance).toBe((100 * 1e9 - expectedCharged) / 1e9);
    console.log(
      `crash test: ${kills} kills, ${complete.size} complete answers, ${charges.length} charges, ${upstream.served.length} answers served upstream`,
    );
  }, 120_000);
});
