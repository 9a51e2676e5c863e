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
  let store: Store;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await freshDatabase('postgres');
    drop = database.drop;
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  /** Statements prepared on the connection the next query gets (node-postgres hands back the one used last). */
  const preparedOnConnection = async (table: string): Promise<string[]> => {
    const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(store.db);
    return rows.filter((row) => row.statement.startsWith(`insert into "${table}"`)).map((row) => row.name);
  };

  it('prepare the ledger insert once per connection and store every entry of batches of any size', async () => {
    const { row } = await store.keys.create({ name: 'prepared', initialCredit: 100_000 });
    const account = row.account_id!;
    let next = 0;
    const batch = (size: number): LedgerWrite[] =>
      Array.from({ length: size }, () => {
        const index = next++;
        return {
          entry: {
            id: `charge:prepared:${index}`,
            account_id: account,
            key_id: row.id,
            kind: 'charge' as const,
            amount: -(index + 1),
            generation_id: `gen-prepared-${index}`,
            upstream_id: null,
            model: 'm',
            provider: 'p',
            note: null,
            created_at: 1_000 + index,
          },
        };
      });
    for (const size of [1, 7, 150, 2]) await store.ledger.insertMany(batch(size));
    const names = await preparedOnConnection('ledger_entries');
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^agora_batch_\d+$/);
    // 160 entries of -1 … -160: 12,880 spent of the 100,000 granted
    expect(await store.ledger.balance(account)).toBe(100_000 - (160 * 161) / 2);
    // a retried batch (already committed) is still skipped, through the same prepared statement
    next = 0;
    await store.ledger.insertMany(batch(7));
    expect(await store.ledger.balance(account)).toBe(100_000 - (160 * 161) / 2);
    expect(await preparedOnConnection('ledger_entries')).toEqual(names);
  });
});
