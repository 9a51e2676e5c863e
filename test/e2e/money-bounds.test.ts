/**
 * Money input is bounded: every amount a client or an operator sends (top-ups, opening credits,
 * spend limits) must be finite, at most 1,000,000 USD, at least a nanodollar, and keep the balance
 * within ±9,000,000 USD, where nanodollar sums are exact integers. Out of range is a 400 naming the
 * field; a balance is only ever an integer number of nanodollars; an absurd max_tokens is refused
 * by the credit check instead of slipping past a broken balance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeUpstream, type FakeUpstream } from '../fakes/openai-upstream.js';
import { MASTER_KEY, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../bin/agora.js');

describe('money bounds', () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    // No context length or max output: only the credit check stands between max_tokens 9e15 and the upstream.
    gateway = await startTestGateway({
      yaml: `bundled_catalog: false\nproviders:\n  acme: { base_url: ${upstream.url}, api_key_env: ACME_TEST_KEY }\nmodels:\n  acme/ok:\n    endpoints:\n      - { provider: acme, model: ok, pricing: { prompt: 1, completion: 2 } }\n`,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  async function admin(method: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  async function newAccount(credit: number): Promise<{ key: string; id: string; accountId: string }> {
    const { status, json } = await admin('POST', '/api/v1/keys', { name: 'money', credit });
    expect(status).toBe(201);
    return { key: json.key, id: json.data.id, accountId: json.data.account_id };
  }

  /** The in-memory balance of an account, in nanodollars. */
  const balanceOf = (accountId: string): number => gateway.running.gateway.credits.account(accountId)!.balance;

  it('refuses out-of-range top-ups with a 400 naming the amount, and the balance stays an exact integer', async () => {
    const { accountId } = await newAccount(5);
    const refused: Array<[string, string]> = [
      ['1e308', '{"account_id": "ACCOUNT", "amount": 1e308}'],
      ['-1e308', '{"account_id": "ACCOUNT", "amount": -1e308}'],
      ['1e16', '{"account_id": "ACCOUNT", "amount": 1e16}'],
      ['1000000.01', '{"account_id": "ACCOUNT", "amount": 1000000.01}'],
      ['half a nanodollar', '{"account_id": "ACCOUNT", "amount": 0.0000000004}'],
      ['zero', '{"account_id": "ACCOUNT", "amount": 0}'],
      ['a string', '{"account_id": "ACCOUNT", "amount": "100"}'],
      ['null', '{"account_id": "ACCOUNT", "amount": null}'],
      ['an object', '{"account_id": "ACCOUNT", "amount": {"usd": 1}}'],
    ];
    for (const [name, body] of refused) {
      const { status, json } = await admin('POST', '/api/v1/credits/topup', body.replace('ACCOUNT', accountId));
      expect({ name, status, param: json.error?.param }).toEqual({ name, status: 400, param: 'amount' });
    }
    expect(balanceOf(accountId)).toBe(5_000_000_000);

    const largest = await admin('POST', '/api/v1/credits/topup', { account_id: accountId, amount: 1_000_000 });
    expect(largest.status).toBe(201);
    expect(largest.json.data.amount).toBe(1_000_000);
    const smallest = await admin('POST', '/api/v1/credits/topup', { account_id: accountId, amount: 0.000000001 });
    expect(smallest.status).toBe(201);
    expect(balanceOf(accountId)).toBe(1_000_005_000_000_001);
    const adjustment = await admin('POST', '/api/v1/credits/topup', { account_id: accountId, amount: -1_000_000 });
    expect(adjustment.status).toBe(201);
    expect(balanceOf(accountId)).toBe(5_000_000_001);
    expect(Number.isSafeInteger(balanceOf(accountId))).toBe(true);
  });

  it('a balance cannot be pushed past ±9,000,000 USD, one top-up at a time', async () => {
    const { accountId } = await newAccount(1);
    for (let index = 0; index < 8; index++) {
      expect((await admin('POST', '/api/v1/credits/topup', { account_id: accountId, amount: 1_000_000 })).status).toBe(201);
    }
    const over = await admin('POST', '/api/v1/credits/topup', { account_id: accountId, amount: 1_000_000 });
    expect(over.status).toBe(400);
    expect(over.json.error.message).toContain('9000000');
    expect(balanceOf(accountId)).toBe(8_000_001_000_000_000);
    // Downwards as well.
    const { accountId: other } = await newAccount(1);
    for (let index = 0; index < 9; index++) await admin('POST', '/api/v1/credits/topup', { account_id: other, amount: -1_000_000 });
    const under = await admin('POST', '/api/v1/credits/topup', { account_id: other, amount: -1_000_000 });
    expect(under.status).toBe(400);
    expect(Number.isSafeInteger(balanceOf(other))).toBe(true);
  });

  it('refuses out-of-range credits and limits on keys, created or patched', async () => {
    for (const [field, value] of [
      ['credit', 1e308],
      ['credit', -1],
      ['credit', 1e16],
      ['limit', 1e308],
      ['limit', -5],
      ['limit_daily', 2e6],
      ['limit_monthly', 'lots'],
      ['rpm', 1e20],
      ['tpm', -1],
      ['rpm', 1.5],
    ] as const) {
      const { status, json } = await admin('POST', '/api/v1/keys', { name: 'bad', [field]: value });
      expect({ field, value, status, param: json.error?.param }).toEqual({ field, value, status: 400, param: field });
    }
    const { id } = await newAccount(1);
    for (const [field, value] of [
      ['limit', 1e308],
      ['limit_daily', -1],
      ['limit_monthly', 1e16],
      ['rpm', 1e20],
    ] as const) {
      const { status, json } = await admin('PATCH', `/api/v1/keys/${id}`, { [field]: value });
      expect({ field, status, param: json.error?.param }).toEqual({ field, status: 400, param: field });
    }
    expect((await admin('PATCH', `/api/v1/keys/${id}`, { limit: 1_000_000 })).status).toBe(200);
  });

  it('max_tokens 9e15 is refused with 402 on a prepaid account; served on an unlimited key, whose hold stays exact', async () => {
    const { key, accountId } = await newAccount(5);
    const body = JSON.stringify({ model: 'acme/ok', max_tokens: 9e15, messages: [{ role: 'user', content: 'hi' }] });
    const refused = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    expect(refused.status).toBe(402);
    expect(upstream.requests).toHaveLength(0);
    const unlimited = (await admin('POST', '/api/v1/keys', { name: 'unlimited' })).json.key as string;
    const served = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${unlimited}`, 'content-type': 'application/json' },
      body,
    });
    expect(served.status).toBe(200);
    const credits = gateway.running.gateway.credits;
    for (const account of credits.accounts.values()) {
      expect(Number.isSafeInteger(account.balance) && Number.isSafeInteger(account.reserved) && Number.isSafeInteger(account.pending)).toBe(
        true,
      );
      expect(account.reserved).toBe(0);
    }
    for (const spend of credits.keys.values()) expect(Number.isSafeInteger(spend.total) && spend.reserved === 0).toBe(true);
    expect(balanceOf(accountId)).toBe(5_000_000_000);
  });

  it('a key created with credit 0 is prepaid with nothing to spend: 402, nothing forwarded', async () => {
    const { key, accountId } = await newAccount(0);
    expect(gateway.running.gateway.credits.account(accountId)).toMatchObject({ mode: 'prepaid', balance: 0 });
    const before = upstream.requests.length;
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'acme/ok', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(402);
    expect(upstream.requests.length).toBe(before);
  });

  it('the CLI refuses an out-of-range --credit before touching the database', async () => {
    const failed = await run(process.execPath, [CLI, 'keys', 'create', '--credit', '1e308', '--db', gateway.databaseUrl], {
      timeout: 20_000,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('--credit');
    expect(failed?.stderr).not.toMatch(/at .+\.js:\d+/);
  });
});
