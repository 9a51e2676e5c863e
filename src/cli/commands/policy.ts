/**
 * `agora policy list|check` — the policies in force (the config file's and those stored through the
 * admin API) and a dry run of what a request would get, read from the same config and database as a
 * running gateway. Nothing is sent to a model, nothing is written.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { CatalogSnapshot } from '../../catalog/snapshot.js';
import { fromRows } from '../../catalog/synced.js';
import { normalizeCountryCode } from '../../governance/client-region.js';
import { Governance, UNKNOWN_REGION } from '../../governance/gate.js';
import { evaluate } from '../../governance/policy.js';
import { createLogger } from '../../lib/logger.js';
import { openStore, type Store } from '../../store/index.js';
import { databaseUrl, loadConfigOrExit, table } from '../options.js';

interface Options {
  config?: string;
  db?: string;
  json?: boolean;
}

interface CheckOptions extends Options {
  model: string;
  region: string;
  key?: string;
}

function regionOption(value: string): string {
  if (value.toLowerCase() === UNKNOWN_REGION) return UNKNOWN_REGION;
  const code = normalizeCountryCode(value);
  if (code === null)
    throw new InvalidArgumentError(`--region expects an ISO 3166 two-letter country code (e.g. DE) or unknown, got "${value}"`);
  return code;
}

/** The store at `--db`, or undefined when there is none yet (nothing is created to find out). */
async function existingStore(options: Options): Promise<Store | undefined> {
  const url = databaseUrl(options.db);
  if (url.startsWith('sqlite:') && url !== 'sqlite::memory:' && !existsSync(url.slice('sqlite:'.length))) return undefined;
  return openStore(url);
}

async function withGovernance<T>(
  options: Options,
  work: (governance: Governance, snapshot: CatalogSnapshot, store: Store | undefined) => Promise<T>,
): Promise<T> {
  const store = await existingStore(options);
  try {
    const synced = store && (await store.catalog.version()) > 0 ? fromRows(await store.catalog.all()) : undefined;
    const config = loadConfigOrExit(options.config, synced);
    const snapshot = new CatalogSnapshot(config);
    const governance = new Governance({
      configured: config.policies,
      regions: { resolve: () => ({ region: UNKNOWN_REGION, source: 'unknown' }) },
      snapshot: () => snapshot,
      audit: () => undefined,
      store: store?.policies,
      logger: createLogger('warn', (line) => process.stderr.write(`${line}\n`)),
    });
    await governance.load();
    try {
      return await work(governance, snapshot, store);
    } finally {
      await snapshot.close();
    }
  } finally {
    await store?.close();
  }
}

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description('governance policies: list them, and check what a request would be allowed without calling a model');

  policy
    .command('list')
    .description('the policies in force: the config file’s and those stored through the admin API')
    .option('--config <file>', 'config file (env AGORA_CONFIG)')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .option('--json', 'print JSON instead of a table', false)
    .action(async (options: Options) => {
      await withGovernance(options, async (governance) => {
        const listed = governance.list();
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify(
              listed.map((item) => ({ ...item.policy, source: item.source })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        if (listed.length === 0) {
          process.stdout.write(
            'No policies: every request may use every endpoint (providers still refuse the regions they do not serve).\n',
          );
          return;
        }
        const rules = (item: (typeof listed)[number]['policy']): string =>
          Object.keys(item)
            .filter((field) => !['id', 'description', 'scope', 'applies_to'].includes(field))
            .join(', ');
        process.stdout.write(
          `${table(
            ['id', 'scope', 'source', 'rules', 'applies to'],
            listed.map((item) => [
              item.policy.id,
              item.policy.scope,
              item.source,
              rules(item.policy),
              item.policy.applies_to ? JSON.stringify(item.policy.applies_to) : 'everything',
            ]),
          )}\n`,
        );
      });
    });

  policy
    .command('check')
    .description('what a request for a model would be allowed, endpoint by endpoint, and why (exit 1 when refused)')
    .requiredOption('--model <id>', 'the model, e.g. deepseek/deepseek-r1')
    .option('--region <code>', 'the client region: an ISO 3166 country code, or unknown', regionOption, UNKNOWN_REGION)
    .option('--key <id>', 'the key whose policies apply (its account’s and its own besides the gateway’s)')
    .option('--config <file>', 'config file (env AGORA_CONFIG)')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .option('--json', 'print JSON instead of a table', false)
    .action(async (options: CheckOptions) => {
      const allowed = await withGovernance(options, async (governance, snapshot, store) => {
        const entry = snapshot.get(options.model);
        if (!entry) {
          process.stderr.write(`agora: model '${options.model}' is not in the catalog (agora models list shows what is)\n`);
          process.exit(2);
        }
        let accountId: string | null = null;
        if (options.key) {
          const row = store ? await store.keys.findById(options.key) : undefined;
          if (!row) {
            process.stderr.write(`agora: no key with id '${options.key}' in ${databaseUrl(options.db)}\n`);
            process.exit(2);
          }
          accountId = row.account_id;
        }
        const gate = governance.gateFor(options.region, 'flag', options.key ?? null, accountId);
        const rows = entry.endpoints.map((candidate) => {
          const refusal = evaluate(candidate, gate.region, gate.policies);
          const enabled = candidate.adapter !== undefined && candidate.endpoint.status !== 'disabled';
          return { provider: candidate.provider.id, enabled, refusal };
        });
        const ok = rows.some((row) => row.enabled && !row.refusal);
        const alternatives = ok ? [] : gate.alternatives([entry.model.id]);
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                model: entry.model.id,
                region: gate.region,
                key: options.key ?? null,
                policies: gate.applied,
                allowed: ok,
                endpoints: rows.map((row) => ({ provider: row.provider, enabled: row.enabled, allowed: !row.refusal, ...row.refusal })),
                alternatives,
              },
              null,
              2,
            )}\n`,
          );
          return ok;
        }
        process.stdout.write(
          `${entry.model.id} for a client in ${gate.region}${options.key ? `, key ${options.key}` : ''}; policies: ${gate.applied.join(', ') || 'none'}\n\n`,
        );
        process.stdout.write(
          `${table(
            ['provider', 'verdict', 'rule', 'from', 'why'],
            rows.map((row) => [
              row.provider,
              row.refusal ? 'refused' : row.enabled ? 'allowed' : 'allowed (no key set)',
              row.refusal?.rule ?? '',
              row.refusal ? (row.refusal.scope === 'provider' ? 'provider' : `${row.refusal.policy} (${row.refusal.scope})`) : '',
              row.refusal?.detail ?? '',
            ]),
          )}\n\n`,
        );
        if (ok) process.stdout.write('Allowed.\n');
        else {
          process.stdout.write('Refused: no enabled endpoint is allowed.\n');
          if (alternatives.length > 0) {
            process.stdout.write('Compliant alternatives:\n');
            for (const item of alternatives)
              process.stdout.write(`  ${item.model} at ${item.provider} ($${item.prompt} / $${item.completion} per 1M tokens)\n`);
          }
        }
        return ok;
      });
      if (!allowed) process.exitCode = 1;
    });
}
