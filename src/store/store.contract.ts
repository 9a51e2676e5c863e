/**
 * The store's shared contract (architecture.md, convention 10), run on SQLite and on PostgreSQL by
 * store.sqlite.test.ts and store.postgres.test.ts: the same queries must behave the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../lib/api-key.js';
import { freshDatabase, type TestDatabase } from '../../test/helpers/gateway.js';
import { openStore, type Store } from './index.js';
import type { NewGeneration } from './repos/generations.js';

function generation(index: number): NewGeneration {
  return {
    id: `gen-contract-${String(index).padStart(5, '0')}`, key_id: 'key_contract', api: 'chat', model: 'acme/chat', provider: 'acme',
    upstream_model: 'chat-v1', upstream_id: `up-${index}`, streamed: index % 2, status: 'success', http_status: 200, error_code: null,
    error_message: null, finish_reason: 'stop', prompt_tokens: 12, completion_tokens: index, total_tokens: 12 + index, cached_tokens: 2,
    reasoning_tokens: 0, cache_write_tokens: null, usage_estimated: 0, cost: 1_234_567_890 + index, latency_ms: 15, ttft_ms: 7,
    app_referer: 'https://app.example', app_title: 'Example', attempts: '[]', created_at: 1_764_000_000_000 + index,
  };
}

export function storeContract(kind: TestDatabase): void {
  describe(`store contract on ${kind}`, () => {
    let url: string;
    let drop: () => Promise<void>;
    let store: Store;

    beforeAll(async () => {
      ({ url, drop } = await freshDatabase(kind));
      store = await openStore(url);
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('runs its migrations once: opening the same database again changes nothing', async () => {
      const again = await openStore(url);
      expect(await again.keys.countActiveAdmins()).toBe(await store.keys.countActiveAdmins());
      await again.close();
    });

    it('stores keys hashed, finds them by hash, lists them in creation order, disables them', async () => {
      const first = await store.keys.create({ name: 'first' });
      const second = await store.keys.create({ name: 'second', isAdmin: true, initialCredit: 5_000_000_000 });
      expect(first.row.key_hash).toBe(hashApiKey(first.key));
      expect(first.row.key_hash).not.toContain(first.key);
      expect((await store.keys.findByHash(hashApiKey(second.key)))?.id).toBe(second.row.id);
      expect((await store.keys.list()).map((row) => row.name)).toEqual(['first', 'second']);
      expect(await store.keys.countActiveAdmins()).toBe(1);
      expect(await store.keys.disable(second.row.id)).toBe(true);
      expect(await store.keys.disable('key_missing')).toBe(false);
      expect(await store.keys.countActiveAdmins()).toBe(0);
      expect((await store.keys.findAccount(second.row.account_id!))?.mode).toBe('prepaid');
      expect(await store.ledger.balance(second.row.account_id!)).toBe(5_000_000_000);
    });

    it('writes 500 generations in one batch, a retried batch adds nothing, and columns come back as written', async () => {
      const rows = Array.from({ length: 500 }, (_, index) => generation(index));
      await store.generations.insertMany(rows);
      await store.generations.insertMany(rows.slice(0, 50));
      expect(await store.generations.count()).toBe(500);
      expect(await store.generations.findById(rows[7]!.id)).toEqual(rows[7]);
      const listed = await store.generations.list({ keyId: 'key_contract', from: 1_764_000_000_010, to: 1_764_000_000_020, limit: 100 });
      expect(listed.map((row) => row.completion_tokens)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    });

    it('keeps an append-only ledger: postings are idempotent by id and balances are sums', async () => {
      const { row } = await store.keys.create({ name: 'ledger', initialCredit: 1_000 });
      const account = row.account_id!;
      const charge = (id: string, amount: number) => ({
        entry: { id, account_id: account, key_id: row.id, kind: 'charge' as const, amount, generation_id: id, upstream_id: null, model: null, provider: null, note: null, created_at: Date.now() },
      });
      await store.ledger.insertMany([charge('charge:a', -300), charge('charge:b', -200)]);
      await store.ledger.insertMany([charge('charge:a', -300)]);
      expect(await store.ledger.balance(account)).toBe(500);
      expect((await store.ledger.balances()).get(account)).toBe(500);
      expect(await store.ledger.totals(account)).toEqual({ credits: 1_000, usage: 500 });
      const spend = (await store.ledger.keySpend(0, 0)).find((item) => item.key_id === row.id);
      expect(spend).toMatchObject({ total: 500, day: 500, month: 500 });
      expect(await store.ledger.insertOne({ ...charge('topup:x', 50).entry, kind: 'topup', key_id: null })).toBe(true);
      expect(await store.ledger.insertOne({ ...charge('topup:x', 50).entry, kind: 'topup', key_id: null })).toBe(false);
      expect(await store.ledger.balance(account)).toBe(550);
    });

    it('stores an idempotent response and replaces it on conflict', async () => {
      const record = { key_id: 'key_x', idempotency_key: 'k1', request_hash: 'h1', status: 200, headers: '{}', body: 'first', created_at: 1 };
      await store.ledger.insertMany([{ idempotency: record }]);
      await store.ledger.insertMany([{ idempotency: { ...record, body: 'second', created_at: 2 } }]);
      expect(await store.ledger.findIdempotency('key_x', 'k1')).toMatchObject({ body: 'second', created_at: 2 });
      await store.ledger.pruneIdempotency(3);
      expect(await store.ledger.findIdempotency('key_x', 'k1')).toBeUndefined();
    });
  });
}
