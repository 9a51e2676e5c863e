/** `agora keys create|list|disable` — against the same database as a running gateway. */
import type { Command } from 'commander';
import { openStore } from '../../store/index.js';
import { databaseUrl, parseNumberOption, table } from '../options.js';

interface DbOption { db?: string }

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
    .option('--credit <usd>', 'spend limit in USD', parseNumberOption('--credit'))
    .option('--rpm <n>', 'requests per minute', parseNumberOption('--rpm'))
    .option('--tpm <n>', 'tokens per minute', parseNumberOption('--tpm'))
    .option('--admin', 'give the key admin rights (key management, top-ups)', false)
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (options: DbOption & { name: string; credit?: number; rpm?: number; tpm?: number; admin: boolean }) => {
      await withStore(options, async (store) => {
        const { row, key } = await store.keys.create({
          name: options.name,
          isAdmin: options.admin,
          creditLimit: options.credit === undefined ? null : Math.round(options.credit * 1e9),
          rpm: options.rpm === undefined ? null : Math.floor(options.rpm),
          tpm: options.tpm === undefined ? null : Math.floor(options.tpm),
        });
        process.stdout.write(`Created key ${row.id} (${row.name}). It is shown once:\n${key}\n`);
      });
    });

  keys
    .command('list')
    .description('list API keys (hints only; keys are stored hashed)')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (options: DbOption) => {
      await withStore(options, async (store) => {
        const rows = await store.keys.list();
        process.stdout.write(`${table(
          ['ID', 'NAME', 'KEY', 'ADMIN', 'STATUS', 'CREDIT USD', 'RPM', 'TPM', 'CREATED'],
          rows.map((row) => [
            row.id, row.name, row.key_hint, row.is_admin ? 'yes' : '', row.disabled_at ? 'disabled' : 'active',
            row.credit_limit === null ? '-' : String(row.credit_limit / 1e9), row.rpm === null ? '-' : String(row.rpm),
            row.tpm === null ? '-' : String(row.tpm), new Date(row.created_at).toISOString().slice(0, 19).replace('T', ' '),
          ]),
        )}\n`);
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
