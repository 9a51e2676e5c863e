/**
 * The group commits on PostgreSQL run as named statements: parsed and planned once per connection,
 * then only bound and executed. What a DBA would check: the session's pg_prepared_statements holds
 * one ledger insert however many batches of whatever size went through it, and every row is there.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/helpers/gateway.js';
import { openStore, type Store } from './index.js';
import type { LedgerWrite } from './repos/ledger.js';

describe('batch inserts on PostgreSQL', () => {
  let url: string;
  let store: Store;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await freshDatabase('postgres');
    url = database.url;
    drop = database.drop;
    store = await openStore(url);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  /** Statements prepared on the connection the next query gets (node-postgres hands back the one used last). */
  const preparedOnConnection = async (on: Store, table: string): Promise<string[]> => {
    const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(on.db);
    return rows.filter((row) => row.statement.startsWith(`insert into "${table}"`)).map((row) => row.name);
  };

  /** A key and `batch(size)`: its next `size` ledger charges (-1, -2, … nanodollars); `restart()` numbers them from 0 again. */
  const charges = async (on: Store, name: string) => {
    const { row } = await on.keys.create({ name, initialCredit: 100_000 });
    let next = 0;
    return {
      account: row.account_id!,
      restart: () => (next = 0),
      batch: (size: number): LedgerWrite[] =>
        Array.from({ length: size }, () => {
          const index = next++;
          return {
            entry: {
              id: `charge:${name}:${index}`,
              account_id: row.account_id!,
              key_id: row.id,
              kind: 'charge' as const,
              amount: -(index + 1),
              generation_id: `gen-${name}-${index}`,
              upstream_id: null,
              model: 'm',
              provider: 'p',
              note: null,
              created_at: 1_000 + index,
            },
          };
        }),
    };
  };

  it('prepare the ledger insert once per connection and store every entry of batches of any size', async () => {
    const { account, batch, restart } = await charges(store, 'prepared');
    for (const size of [1, 7, 150, 2]) await store.ledger.insertMany(batch(size));
    const names = await preparedOnConnection(store, 'ledger_entries');
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^agora_batch_\d+$/);
    // 160 entries of -1 … -160: 12,880 spent of the 100,000 granted
    expect(await store.ledger.balance(account)).toBe(100_000 - (160 * 161) / 2);
    // a retried batch (already committed) is still skipped, through the same prepared statement
    restart();
    await store.ledger.insertMany(batch(7));
    expect(await store.ledger.balance(account)).toBe(100_000 - (160 * 161) / 2);
    expect(await preparedOnConnection(store, 'ledger_entries')).toEqual(names);
  });

  it('run unnamed with ?prepare=false in the URL (a pooler that cannot keep prepared statements)', async () => {
    const unprepared = await openStore(`${url}&prepare=false`);
    try {
      const { account, batch } = await charges(unprepared, 'unprepared');
      for (const size of [3, 150]) await unprepared.ledger.insertMany(batch(size));
      expect(await unprepared.ledger.balance(account)).toBe(100_000 - (153 * 154) / 2);
      expect(await preparedOnConnection(unprepared, 'ledger_entries')).toEqual([]);
    } finally {
      await unprepared.close();
    }
  });

  it('refuse a prepare value other than true or false, naming it', async () => {
    await expect(openStore(`${url}&prepare=no`)).rejects.toThrow('invalid prepare=no in the database URL: expected true or false');
  });
});
