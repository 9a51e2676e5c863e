/** `agora keys create|list|disable` — against the same database as a running gateway. */
import type { Command } from 'commander';
import { formatUsd, usdToNanos } from '../../lib/money.js';
import { normalizeCountryCode } from '../../governance/client-region.js';
import { openStore } from '../../store/index.js';
import { databaseUrl, parseNumberOption, parseUsdOption, table } from '../options.js';

interface DbOption {
  db?: string;
}

interface CreateOptions {
  name: string;
  credit?: number;
  limit?: number;
  limitDaily?: number;
  limitMonthly?: number;
  rpm?: number;
  tpm?: number;
  account?: string;
  admin: boolean;
  region?: string;
}

async function withStore<T>(options: DbOption, work: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl(options.db));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('create an API key; the last line of output is the key alone')
    .option('--name <name>', 'a label for the key', 'unnamed')
    .option(
      '--credit <usd>',
      'prepaid credit in USD: the key gets a prepaid account with this opening balance (402 when spent)',
      parseUsdOption('--credit'),
    )
    .option('--limit <usd>', "the key's total spend limit in USD", parseUsdOption('--limit'))
    .option('--limit-daily <usd>', "the key's spend limit per UTC day, USD", parseUsdOption('--limit-daily'))
    .option('--limit-monthly <usd>', "the key's spend limit per calendar month, USD", parseUsdOption('--limit-monthly'))
    .option('--rpm <n>', 'requests per minute', parseNumberOption('--rpm'))
    .option('--tpm <n>', 'tokens per minute', parseNumberOption('--tpm'))
    .option('--account <id>', 'join an existing account (share its credits) instead of creating one')
    .option('--admin', 'give the key admin rights (key management, top-ups)', false)
    .option('--region <code>', "the key's client region (ISO 3166 code, e.g. DE) for governance, when no trusted header or GeoIP says")
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (options: DbOption & CreateOptions) => {
      const region = options.region === undefined ? undefined : normalizeCountryCode(options.region);
      if (region === null) throw new Error(`--region expects an ISO 3166 two-letter country code such as DE, got "${options.region}"`);
      await withStore(options, async (store) => {
        const nanos = (usd: number | undefined): number | null => (usd === undefined ? null : usdToNanos(usd));
        const { row, key } = await store.keys.create({
          name: options.name,
          isAdmin: options.admin,
          creditLimit: nanos(options.limit),
          limitDaily: nanos(options.limitDaily),
          limitMonthly: nanos(options.limitMonthly),
          rpm: options.rpm === undefined ? null : Math.floor(options.rpm),
          tpm: options.tpm === undefined ? null : Math.floor(options.tpm),
          ...(options.account ? { accountId: options.account } : {}),
          ...(region ? { region } : {}),
          ...(options.credit !== undefined ? { initialCredit: usdToNanos(options.credit), mode: 'prepaid' as const } : {}),
        });
        const credit =
          options.credit !== undefined ? `, prepaid account ${row.account_id} with $${options.credit}` : `, account ${row.account_id}`;
        process.stdout.write(`Created key ${row.id} (${row.name}${credit}). It is shown once:\n${key}\n`);
      });
    });

  keys
    .command('list')
    .description('list API keys (hints only; keys are stored hashed)')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (options: DbOption) => {
      await withStore(options, async (store) => {
        const rows = await store.keys.list();
        process.stdout.write(
          `${table(
            ['ID', 'NAME', 'KEY', 'ADMIN', 'STATUS', 'LIMIT USD', 'RPM', 'TPM', 'CREATED'],
            rows.map((row) => [
              row.id,
              row.name,
              row.key_hint,
              row.is_admin ? 'yes' : '',
              row.disabled_at ? 'disabled' : 'active',
              row.credit_limit === null ? '-' : formatUsd(row.credit_limit),
              row.rpm === null ? '-' : String(row.rpm),
              row.tpm === null ? '-' : String(row.tpm),
              new Date(row.created_at).toISOString().slice(0, 19).replace('T', ' '),
            ]),
          )}\n`,
        );
      });
    });

  keys
    .command('disable')
    .description('disable an API key (a running gateway stops accepting it within seconds)')
    .argument('<id>', 'the key id shown by `agora keys list`')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (id: string, options: DbOption) => {
      await withStore(options, async (store) => {
        if (!(await store.keys.disable(id))) {
          process.stderr.write(`agora: no key with id ${id}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`Disabled key ${id}.\n`);
      });
    });
}
