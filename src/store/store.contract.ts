/**
 * The store's shared contract (architecture.md, convention 10), run on SQLite and on PostgreSQL by
 * store.sqlite.test.ts and store.postgres.test.ts: the same calls must give the same results.
 * A backend that cannot honour a case lists it in `skip` with the reason.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/helpers/gateway.js';
import { openStore, type Store } from './index.js';
import { migrationProvider } from './migrations/index.js';
import type { NewGeneration } from './repos/generations.js';
import type { RollupDelta } from './repos/rollups.js';

/** A generation with every column set to a distinctive, non-default value. */
function generation(index: number): NewGeneration {
  return {
    id: `gen-contract-${String(index).padStart(5, '0')}`,
    key_id: 'key_contract',
    api: 'chat',
    model: 'acme/chat',
    provider: 'acme',
    upstream_model: 'chat-v1',
    upstream_id: `up-${index}`,
    streamed: index % 2,
    status: 'success',
    http_status: 200,
    error_code: null,
    error_message: null,
    finish_reason: 'stop',
    prompt_tokens: 12,
    completion_tokens: index,
    total_tokens: 12 + index,
    cached_tokens: 2,
    reasoning_tokens: 3,
    cache_write_tokens: 4,
    usage_estimated: 0,
    // Above 2^32: a bigint column that comes back as a string (or is truncated to 32 bits) fails here.
    cost: 9_876_543_210_123 + index,
    latency_ms: 1500 + index,
    ttft_ms: 70 + index,
    app_referer: 'https://app.example',
    app_title: 'Example — 例子',
    attempts: '[{"provider":"acme","status":200}]',
    created_at: 1_764_000_000_000 + index,
    account_id: index % 2 === 0 ? 'acct_contract' : null,
  };
}

/** A failed generation: every nullable column null. */
function failedGeneration(id: string): NewGeneration {
  return {
    id,
    key_id: null,
    api: 'chat',
    model: 'acme/chat',
    provider: null,
    upstream_model: null,
    upstream_id: null,
    streamed: 1,
    status: 'error',
    http_status: 502,
    error_code: 'upstream_error',
    error_message: 'acme returned 500',
    finish_reason: null,
    prompt_tokens: null,
    completion_tokens: null,
    total_tokens: null,
    cached_tokens: null,
    reasoning_tokens: null,
    cache_write_tokens: null,
    usage_estimated: 1,
    cost: null,
    latency_ms: 3,
    ttft_ms: null,
    app_referer: null,
    app_title: null,
    attempts: null,
    created_at: 1_764_100_000_000,
    account_id: null,
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface StoreContractOptions {
  /** Cases this backend does not support: case name → reason. */
  skip?: Record<string, string>;
}

export function storeContract(kind: TestDatabase, options: StoreContractOptions = {}): void {
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
    afterEach(() => {
      vi.useRealTimers();
    });

    const run = (name: string, body: () => Promise<void>): void => {
      const reason = options.skip?.[name];
      if (reason) it.skip(`${name} (skipped on ${kind}: ${reason})`, body);
      else it(name, body);
    };

    describe('migrations', () => {
      run('run on open: every migration is recorded and the tables are there, empty', async () => {
        expect(store.dialect).toBe(kind);
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
        expect(applied.rows.map((row) => row.name)).toEqual(Object.keys(await migrationProvider.getMigrations()).sort());
        expect(await store.keys.list()).toEqual([]);
        expect(await store.generations.count()).toBe(0);
      });

      run('are idempotent: opening the same database again keeps data and applies nothing twice', async () => {
        const { row } = await store.keys.create({ name: 'before-reopen' });
        const again = await openStore(url);
        try {
          const applied = await sql<{ count: number | string }>`select count(*) as count from kysely_migration`.execute(again.db);
          expect(Number(applied.rows[0]!.count)).toBe(Object.keys(await migrationProvider.getMigrations()).length);
          expect((await again.keys.findById(row.id))?.name).toBe('before-reopen');
        } finally {
          await again.close();
        }
        // And a third time, after the second handle is gone.
        const third = await openStore(url);
        await third.close();
        expect((await store.keys.findById(row.id))?.name).toBe('before-reopen');
        expect(await store.keys.disable(row.id)).toBe(true);
      });
    });

    describe('keys', () => {
      run('create returns the plaintext key once and stores only its sha256', async () => {
        const { row, key } = await store.keys.create({ name: 'hashed', rpm: 60, tpm: 100_000, creditLimit: 5_000_000_000 });
        expect(key).toMatch(/^sk-agora-[0-9A-Za-z]{43}$/);
        const stored = await store.keys.findById(row.id);
        expect(stored?.key_hash).toBe(sha256(key));
        // The plaintext is in no column of the stored row (the hint shows only a few characters).
        for (const value of Object.values(stored!)) expect(String(value)).not.toContain(key.slice(9));
        expect(stored).toMatchObject({
          name: 'hashed',
          rpm: 60,
          tpm: 100_000,
          credit_limit: 5_000_000_000,
          is_admin: 0,
          disabled_at: null,
        });
        expect(typeof stored!.created_at).toBe('number');
      });

      run('findByHash finds a key by the sha256 of its plaintext, and nothing for another hash', async () => {
        const { row, key } = await store.keys.create({ name: 'by-hash' });
        expect((await store.keys.findByHash(sha256(key)))?.id).toBe(row.id);
        expect(await store.keys.findByHash(sha256(`${key}x`))).toBeUndefined();
        expect(await store.keys.findByHash(key)).toBeUndefined();
      });

      run('list returns keys oldest first', async () => {
        vi.useFakeTimers({ toFake: ['Date'] });
        const base = Date.UTC(2030, 0, 1);
        // Created out of time order, so insertion order and time order differ.
        vi.setSystemTime(base + 2_000);
        const later = await store.keys.create({ name: 'list-later' });
        vi.setSystemTime(base + 1_000);
        const earlier = await store.keys.create({ name: 'list-earlier' });
        vi.setSystemTime(base + 3_000);
        const latest = await store.keys.create({ name: 'list-latest' });
        vi.useRealTimers();
        const ids = (await store.keys.list()).map((row) => row.id);
        const ours = ids.filter((id) => [later.row.id, earlier.row.id, latest.row.id].includes(id));
        expect(ours).toEqual([earlier.row.id, later.row.id, latest.row.id]);
        // Keys made before 2030 by other cases come first.
        expect(ids.slice(-3)).toEqual(ours);
      });

      run('disable is true for an existing key (also a second time), false for an unknown id, and counts drop', async () => {
        const adminsBefore = await store.keys.countActiveAdmins();
        const admin = await store.keys.create({ name: 'admin', isAdmin: true });
        const other = await store.keys.create({ name: 'admin-2', isAdmin: true });
        await store.keys.create({ name: 'not-admin' });
        expect(await store.keys.countActiveAdmins()).toBe(adminsBefore + 2);
        expect(await store.keys.disable(admin.row.id)).toBe(true);
        expect(await store.keys.countActiveAdmins()).toBe(adminsBefore + 1);
        const disabled = await store.keys.findById(admin.row.id);
        expect(typeof disabled?.disabled_at).toBe('number');
        expect(await store.keys.disable(admin.row.id)).toBe(true);
        expect(await store.keys.disable('key_does_not_exist')).toBe(false);
        expect(await store.keys.countActiveAdmins()).toBe(adminsBefore + 1);
        expect((await store.keys.findById(other.row.id))?.disabled_at).toBeNull();
      });

      run('a key with opening credit gets a prepaid account and its balance', async () => {
        const { row } = await store.keys.create({ name: 'prepaid', initialCredit: 5_000_000_000 });
        expect((await store.keys.findAccount(row.account_id!))?.mode).toBe('prepaid');
        expect(await store.ledger.balance(row.account_id!)).toBe(5_000_000_000);
      });
    });

    describe('generations', () => {
      const rows = Array.from({ length: 500 }, (_, index) => generation(index));

      run('insertMany writes 500 rows in one call', async () => {
        await store.generations.insertMany(rows);
        expect(await store.generations.count()).toBe(500);
      });

      run('re-inserting the same ids is harmless: no error, no duplicate, no overwrite', async () => {
        const changed = rows.slice(0, 50).map((row) => ({ ...row, status: 'changed', cost: 1 }));
        await expect(store.generations.insertMany(changed)).resolves.toBeUndefined();
        await expect(store.generations.insertMany(rows)).resolves.toBeUndefined();
        expect(await store.generations.count()).toBe(500);
        expect((await store.generations.findById(rows[3]!.id))?.status).toBe('success');
      });

      run('an upstream message with a NUL, a lone surrogate or escaped-looking text is stored, not a batch that fails', async () => {
        const literal = String.raw`literal \u0000 and \\ud800 kept as typed`;
        const odd = { ...generation(700), id: 'gen-contract-odd', error_message: `nul:\u0000 lone:\ud800 pair:\u{1F600} ${literal}` };
        const plain = { ...generation(701), id: 'gen-contract-plain' };
        await store.generations.insertMany([odd, plain]);
        const stored = (await store.generations.findById(odd.id))?.error_message ?? '';
        expect(stored.startsWith('nul:')).toBe(true);
        expect(stored.endsWith(`pair:\u{1F600} ${literal}`)).toBe(true);
        expect(stored).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u); // no lone surrogate came back
        expect(await store.generations.findById(plain.id)).toBeDefined();
      });

      run('rollups are added for exactly the rows a batch inserted, in its transaction', async () => {
        const fresh = Array.from({ length: 3 }, (_, index) => ({ ...generation(900 + index), id: `gen-rollup-${index}` }));
        // The rows each call of the rollup was given; PostgreSQL may first call it with the whole batch
        // (tried as new in one statement), so what counts is the last call of each batch.
        let seen: string[][] = [];
        const lastSeen: string[][] = [];
        const rollup = (inserted: NewGeneration[]) => {
          seen.push(inserted.map((row) => row.id));
          return inserted.map((row) => ({
            grain: 'd' as const,
            dim: 'model',
            account: '*',
            bucket: 0,
            name: 'contract',
            requests: 1,
            errors: 0,
            prompt_tokens: row.prompt_tokens ?? 0,
            completion_tokens: 0,
            reasoning_tokens: 0,
            cached_tokens: 0,
            cost: 0,
          }));
        };
        // The rows' deltas share one key; the upsert adds them up.
        const later = [3, 4].map((index) => ({ ...generation(900 + index), id: `gen-rollup-${index}` })); // all new: one statement on PostgreSQL
        for (const batch of [[...rows.slice(0, 2), fresh[0]!], fresh, later]) {
          seen = [];
          await store.generations.insertMany(batch, (inserted) => {
            const deltas = rollup(inserted);
            return deltas.length > 0 ? [{ ...deltas[0]!, requests: deltas.length }] : [];
          });
          lastSeen.push(seen.at(-1)!);
        }
        expect(lastSeen).toEqual([['gen-rollup-0'], ['gen-rollup-1', 'gen-rollup-2'], ['gen-rollup-3', 'gen-rollup-4']]);
        const stored = (await store.rollups.all()).filter((row) => row.name === 'contract');
        expect(stored.map((row) => row.requests)).toEqual([5]);
        expect(await store.generations.findById('gen-rollup-4')).toBeDefined();
        // A failing rollup rolls the records back with it.
        const doomed = { ...generation(950), id: 'gen-rollup-doomed' };
        await expect(
          store.generations.insertMany([doomed], () => {
            throw new Error('rollup failed');
          }),
        ).rejects.toThrow('rollup failed');
        expect(await store.generations.findById(doomed.id)).toBeUndefined();
      });

      run('rollup reads: some names probed pair by pair, many by one walk of the range, the same sums', async () => {
        const HOUR = 3_600_000;
        const base = 1_800_000_000 * 1000 - ((1_800_000_000 * 1000) % (24 * HOUR)); // a UTC midnight
        const deltas: RollupDelta[] = [];
        for (let hour = 0; hour < 48; hour++) {
          for (let name = 0; name < 300; name++) {
            if ((hour + name) % 7 === 0) continue; // some names miss some hours
            deltas.push({
              grain: 'h',
              dim: 'key',
              account: 'contract-reads',
              bucket: base + hour * HOUR,
              name: `n${String(name).padStart(3, '0')}`,
              requests: 1,
              errors: hour % 2,
              prompt_tokens: name,
              completion_tokens: hour,
              reasoning_tokens: 0,
              cached_tokens: 0,
              cost: name * 1000 + hour,
            });
          }
        }
        await store.db.transaction().execute((transaction) => store.rollups.add(transaction, deltas));
        const range = { grain: 'h' as const, dim: 'key', account: 'contract-reads', from: base + 2 * HOUR, to: base + 40 * HOUR };
        const inRange = deltas.filter((delta) => delta.bucket >= range.from && delta.bucket < range.to);
        const expected = (names: readonly string[]) =>
          names
            .map((name) => {
              const rows = inRange.filter((delta) => delta.name === name);
              const sum = (column: 'requests' | 'errors' | 'prompt_tokens' | 'completion_tokens' | 'cost') =>
                rows.reduce((total, row) => total + row[column], 0);
              return {
                name,
                requests: sum('requests'),
                errors: sum('errors'),
                prompt_tokens: sum('prompt_tokens'),
                completion_tokens: sum('completion_tokens'),
                reasoning_tokens: 0,
                cached_tokens: 0,
                cost: sum('cost'),
              };
            })
            .filter((row) => row.requests > 0);
        const byName = (rows: Array<{ name: string }>) => [...rows].sort((left, right) => (left.name < right.name ? -1 : 1));
        const few = ['n000', 'n007', 'n123', 'n-none'];
        const many = Array.from({ length: 300 }, (_, name) => `n${String(name).padStart(3, '0')}`); // 38 hours × 300 > 10,000 pairs
        for (const names of [few, many]) expect(byName(await store.rollups.totals({ ...range, names }))).toEqual(expected(names));
        expect(byName(await store.rollups.totals(range))).toEqual(expected(many));
        const series = await store.rollups.series({ ...range, names: few });
        expect(series).toHaveLength(inRange.filter((delta) => few.includes(delta.name)).length);
        expect(series.find((row) => row.name === 'n123' && row.bucket === base + 4 * HOUR)).toMatchObject({
          prompt_tokens: 123,
          cost: 123_004,
        });
        expect((await store.rollups.series({ ...range, names: many })).length).toBe(inRange.length);
        expect(await store.rollups.totals({ ...range, names: [] })).toEqual([]);
        expect(await store.rollups.series({ ...range, to: range.from, names: few })).toEqual([]);
      });

      run('findById returns every column as inserted, numbers as numbers', async () => {
        for (const index of [0, 7, 499]) {
          const found = await store.generations.findById(rows[index]!.id);
          expect(found).toStrictEqual(rows[index]);
        }
        const found = await store.generations.findById(rows[7]!.id);
        for (const column of ['cost', 'created_at', 'latency_ms', 'prompt_tokens', 'http_status', 'streamed', 'usage_estimated'] as const) {
          expect(typeof found![column], column).toBe('number');
        }
        expect(await store.generations.findById('gen-missing')).toBeUndefined();
      });

      run('null columns come back as null', async () => {
        const failed = failedGeneration('gen-contract-failed');
        await store.generations.insertMany([failed]);
        expect(await store.generations.findById(failed.id)).toStrictEqual(failed);
      });

      run('list returns a time window of one key, oldest first', async () => {
        const listed = await store.generations.list({ keyId: 'key_contract', from: 1_764_000_000_010, to: 1_764_000_000_020, limit: 100 });
        expect(listed.map((row) => row.id)).toEqual(rows.slice(10, 20).map((row) => row.id));
        const limited = await store.generations.list({ keyId: undefined, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 3 });
        expect(limited.map((row) => row.id)).toEqual(rows.slice(0, 3).map((row) => row.id));
      });
    });

    describe('ledger', () => {
      run('postings are idempotent by entry id and balances are sums', async () => {
        const { row } = await store.keys.create({ name: 'ledger', initialCredit: 1_000 });
        const account = row.account_id!;
        const charge = (id: string, amount: number) => ({
          entry: {
            id,
            account_id: account,
            key_id: row.id,
            kind: 'charge' as const,
            amount,
            generation_id: id,
            upstream_id: null,
            model: null,
            provider: null,
            note: null,
            created_at: Date.now(),
          },
        });
        await store.ledger.insertMany([charge(`charge:${row.id}:a`, -300), charge(`charge:${row.id}:b`, -200)]);
        await store.ledger.insertMany([charge(`charge:${row.id}:a`, -300)]);
        expect(await store.ledger.balance(account)).toBe(500);
        expect((await store.ledger.balances()).get(account)).toBe(500);
        expect(await store.ledger.totals(account)).toEqual({ credits: 1_000, usage: 500 });
        const spend = (await store.ledger.keySpend(0, 0)).find((item) => item.key_id === row.id);
        expect(spend).toMatchObject({ total: 500, day: 500, month: 500 });
        const topup = { ...charge(`topup:${row.id}`, 50).entry, kind: 'topup' as const, key_id: null, generation_id: null };
        expect(await store.ledger.insertOne(topup)).toBe(true);
        expect(await store.ledger.insertOne({ ...topup, amount: 70 })).toBe(false);
        expect(await store.ledger.balance(account)).toBe(550);
      });

      run('a group commit larger than one statement writes every entry once, with a stored answer alongside', async () => {
        const { row } = await store.keys.create({ name: 'ledger-many', initialCredit: 10_000 });
        const account = row.account_id!;
        const charge = (index: number) => ({
          entry: {
            id: `charge:${row.id}:${index}`,
            account_id: account,
            key_id: row.id,
            kind: 'charge' as const,
            amount: -(index + 1),
            generation_id: `gen-${index}`,
            upstream_id: index % 2 === 0 ? `up-${index}` : null,
            model: 'm',
            provider: 'p',
            note: null,
            created_at: 1_000 + index,
          },
        });
        const writes = Array.from({ length: 150 }, (_, index) => charge(index)); // more rows than one compiled statement holds
        await store.ledger.insertMany(writes.slice(0, 1)); // one of them committed before (a retried batch)
        const stored = {
          key_id: row.id,
          idempotency_key: 'many',
          request_hash: 'h',
          status: 200,
          headers: '{}',
          body: 'answer',
          created_at: 5,
        };
        await store.ledger.insertMany([...writes, { idempotency: stored }]);
        expect(await store.ledger.balance(account)).toBe(10_000 - (150 * 151) / 2);
        expect(await store.ledger.totals(account)).toEqual({ credits: 10_000, usage: (150 * 151) / 2 });
        expect(await store.ledger.findIdempotency(row.id, 'many')).toMatchObject({ body: 'answer', status: 200 });
        await store.ledger.insertMany(writes.slice(60, 130)); // a whole batch seen before: nothing changes
        expect(await store.ledger.balance(account)).toBe(10_000 - (150 * 151) / 2);
      });

      run('a stored idempotent response is replaced on conflict and pruned by age', async () => {
        const record = {
          key_id: 'key_x',
          idempotency_key: 'k1',
          request_hash: 'h1',
          status: 200,
          headers: '{}',
          body: 'first',
          created_at: 1,
        };
        await store.ledger.insertMany([{ idempotency: record }]);
        await store.ledger.insertMany([{ idempotency: { ...record, body: 'second', created_at: 2 } }]);
        expect(await store.ledger.findIdempotency('key_x', 'k1')).toMatchObject({ body: 'second', created_at: 2, status: 200 });
        await store.ledger.pruneIdempotency(3);
        expect(await store.ledger.findIdempotency('key_x', 'k1')).toBeUndefined();
      });
    });
  });
}
