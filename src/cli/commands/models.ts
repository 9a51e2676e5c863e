/**
 * `agora models list|show|sync` — the catalog as the gateway resolves it: the bundled catalog, what
 * `sync` stored in the database, and the config file over both.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, ConfigError } from '../../config/load.js';
import type { ResolvedConfig, ResolvedModel } from '../../config/types.js';
import { blendedPrice, FILTER_PARAMETERS, matches, parseFilters, type FilterableModel } from '../../catalog/filter.js';
import { IMPORTERS } from '../../catalog/import/index.js';
import { detectFormat, isUrl, readJson } from '../../catalog/import/read-source.js';
import { hubModelsFromJson, readHubModels } from '../../catalog/import/hf-hub.js';
import { importHuggingFace } from '../../catalog/import/huggingface.js';
import type { ImportResult } from '../../catalog/import/types.js';
import { sync } from '../../catalog/sync.js';
import { CATALOG_SOURCES, describeChange, fromRows, type CatalogSource } from '../../catalog/synced.js';
import { AgoraError } from '../../contract/errors.js';
import { openStore, type Store } from '../../store/index.js';
import { databaseUrl, loadConfigOrExit, table } from '../options.js';

interface CatalogOptions {
  config?: string;
  db?: string;
}

/** The synced catalog stored at `--db`, or undefined when there is no database yet (nothing is created to find out). */
async function readSynced(options: CatalogOptions): Promise<unknown> {
  const url = databaseUrl(options.db);
  if (url.startsWith('sqlite:') && url !== 'sqlite::memory:' && !existsSync(url.slice('sqlite:'.length))) return undefined;
  const store = await openStore(url);
  try {
    return (await store.catalog.version()) > 0 ? fromRows(await store.catalog.all()) : undefined;
  } finally {
    await store.close();
  }
}

async function catalogFor(options: CatalogOptions): Promise<ResolvedConfig> {
  return loadConfigOrExit(options.config, await readSynced(options));
}

function filterable(config: ResolvedConfig, model: ResolvedModel): FilterableModel {
  return { model, endpoints: model.endpoints.map((endpoint) => ({ endpoint, provider: config.providers.get(endpoint.providerId)! })) };
}

function billions(count: number | undefined): string {
  if (count === undefined) return '-';
  const value = count / 1e9;
  return `${value >= 10 ? Math.round(value) : Number(value.toPrecision(2))}B`;
}

function fail(message: string): void {
  process.stderr.write(`agora: ${message}\n`);
  process.exitCode = 1;
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model catalog');

  const list = models
    .command('list')
    .description('list models with their hosts and cheapest price (USD per 1M tokens), filtered')
    .option('--author <ids>', 'only these authors, comma-separated (e.g. deepseek,qwen)')
    .option('--author-country <codes>', 'only authors from these countries (ISO codes, e.g. CN,US)')
    .option('--open-weights <bool>', 'true: only open-weight models; false: only closed ones')
    .option('--license <names>', 'only these licenses (e.g. mit,apache-2.0)')
    .option('--min-params <billions>', 'at least this many parameters, in billions')
    .option('--max-params <billions>', 'at most this many parameters, in billions')
    .option('--min-context <tokens>', 'a context window of at least this many tokens')
    .option('--max-price <usd>', 'a host at or below this blended price (USD per 1M tokens, 3 prompt : 1 completion)')
    .option('--provider <ids>', 'only models these providers host')
    .option('--servable <bool>', 'true: only models an enabled provider can serve now')
    .option('--q <words>', 'words that must appear in the id or name')
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG)')
    .option('--db <url>', 'the database holding the synced catalog (env AGORA_DB)')
    .action(async (options: CatalogOptions & Record<string, string | undefined>) => {
      const config = await catalogFor(options);
      let filters;
      try {
        filters = parseFilters((name) => options[name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase())]);
      } catch (error) {
        if (!(error instanceof AgoraError)) throw error;
        fail(`${error.message.replace(/'([a-z_]+)'/, (_match, name: string) => `--${name.replace(/_/g, '-')}`)}`);
        return;
      }
      const rows = [...config.models.values()]
        .filter((model) => matches(filterable(config, model), filters))
        .sort((left, right) => left.id.localeCompare(right.id))
        .map((model) => {
          const hosts = model.endpoints.map(
            (endpoint) => `${endpoint.providerId}${config.providers.get(endpoint.providerId)?.enabled ? '*' : ''}`,
          );
          const cheapest = [...model.endpoints].sort((left, right) => blendedPrice(left) - blendedPrice(right))[0];
          return [
            model.id,
            model.authorCountry ?? '-',
            billions(model.parameters?.total),
            String(model.contextLength ?? '-'),
            cheapest ? `${cheapest.pricing.prompt}/${cheapest.pricing.completion} (${cheapest.providerId})` : 'not fixed',
            String(model.endpoints.length),
            hosts.join(', '),
          ];
        });
      process.stdout.write(`${table(['MODEL', 'COUNTRY', 'PARAMS', 'CONTEXT', 'CHEAPEST IN/OUT', 'HOSTS', 'PROVIDERS'], rows)}\n`);
      process.stdout.write(`${rows.length} models; * = provider enabled (its key is set)\n`);
    });
  list.addHelpText('after', `\nThe same filters as GET /api/v1/models?${FILTER_PARAMETERS.join('=…&')}=…`);

  models
    .command('show')
    .description("show one model's facts and its hosts: prices, context, quantization, provider status")
    .argument('<id>', 'model id, e.g. deepseek/deepseek-r1')
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG)')
    .option('--db <url>', 'the database holding the synced catalog (env AGORA_DB)')
    .action(async (id: string, options: CatalogOptions) => {
      const config = await catalogFor(options);
      const model = config.models.get(id);
      if (!model) {
        fail(`no model ${id} in the catalog (try \`agora models list\`)`);
        return;
      }
      const facts = [
        `author: ${model.authorName ?? model.author}${model.authorCountry ? ` (${model.authorCountry})` : ''}`,
        `open weights: ${model.openWeights === undefined ? '-' : model.openWeights ? 'yes' : 'no'}  license: ${model.license ?? '-'}`,
        `parameters: ${billions(model.parameters?.total)}${model.parameters?.active ? ` (${billions(model.parameters.active)} active)` : ''}  context: ${model.contextLength ?? '-'}  kind: ${model.kind}`,
        `released: ${model.releaseDate ?? '-'}  hugging face: ${model.huggingFaceId ?? '-'}`,
      ];
      process.stdout.write(`${model.name} (${model.id})\n${model.description ?? ''}\n${facts.join('\n')}\n\n`);
      process.stdout.write(
        `${table(
          ['PROVIDER', 'COUNTRY', 'UPSTREAM MODEL', 'PROMPT', 'COMPLETION', 'CACHE READ', 'CONTEXT', 'QUANT', 'STATUS'],
          [...model.endpoints]
            .sort((left, right) => blendedPrice(left) - blendedPrice(right))
            .map((endpoint) => {
              const provider = config.providers.get(endpoint.providerId)!;
              return [
                provider.id,
                endpoint.jurisdiction ?? '-',
                endpoint.upstreamModel,
                String(endpoint.pricing.prompt),
                String(endpoint.pricing.completion),
                String(endpoint.pricing.cacheRead ?? '-'),
                String(endpoint.contextLength ?? '-'),
                endpoint.quantization ?? '-',
                provider.enabled ? `on (${provider.baseUrl})` : `off: ${provider.disabledReason ?? ''}`,
              ];
            }),
        )}\n`,
      );
    });

  models
    .command('sync')
    .description('import a catalog source into the database; a running gateway picks it up without a restart')
    .option('--from <source>', `the source format (${CATALOG_SOURCES.join(', ')}) followed by FILE|URL, or FILE|URL alone to detect it`)
    .argument('[location]', 'FILE or URL (when --from names the format)')
    .option('--dry-run', 'report what would change, write nothing', false)
    .option('--prune', 'remove entries an earlier sync of this source stored that it no longer lists', false)
    .option('--verbose', 'list every change, not the first 40', false)
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG)')
    .option('--db <url>', 'the database to write (env AGORA_DB)')
    .addHelpText(
      'after',
      `
Sources:
  openrouter  OpenRouter's GET /api/v1/models JSON: models, facts, prices at the openrouter provider
  litellm     LiteLLM's model_prices_and_context_window.json: hosts and prices for the catalog's models
  hf          Hugging Face Hub model infos (GET /api/models/ID): facts for the catalog's models

Examples:
  agora models sync --from openrouter https://openrouter.ai/api/v1/models
  agora models sync --from ./litellm-model-prices.json --dry-run`,
    )
    .action(
      async (
        location: string | undefined,
        options: CatalogOptions & { from?: string; dryRun: boolean; prune: boolean; verbose: boolean },
      ) => {
        let format: CatalogSource | undefined;
        let where = location;
        if (options.from && (CATALOG_SOURCES as readonly string[]).includes(options.from)) format = options.from as CatalogSource;
        else if (options.from) {
          if (location) return fail(`--from takes a format (${CATALOG_SOURCES.join(', ')}) before FILE|URL, got "${options.from}"`);
          where = options.from;
        }
        if (!where) return fail('name a FILE or URL to sync from (see --help)');
        const progress = (message: string): void => void process.stderr.write(`${message}\n`);
        progress(`reading ${where} …`);
        // Hub URLs are read page by page (Link: rel="next"); everything else is one JSON document.
        const json = format === 'hf' && isUrl(where) ? undefined : await readJson(where);
        format ??= detectFormat(json);
        if (!format) return fail(`cannot tell the format of ${where}; name it with --from ${CATALOG_SOURCES.join('|')}`);
        const synced = await readSynced(options);
        const rebuild = (next: unknown): ResolvedConfig =>
          loadConfig({ file: options.config ?? (process.env.AGORA_CONFIG || undefined), synced: next });
        let before: ResolvedConfig;
        try {
          before = rebuild(synced);
        } catch (error) {
          return fail(error instanceof ConfigError ? error.message : String(error));
        }
        const context = { catalog: before, onProgress: progress };
        let result: ImportResult;
        if (format === 'hf') {
          const hub = isUrl(where)
            ? await readHubModels(where, { onProgress: (step) => progress(`hf: page ${step.pages}, ${step.models} models`) })
            : hubModelsFromJson(json);
          result = importHuggingFace(hub.models, context);
        } else {
          const importer = IMPORTERS[format];
          if (!importer) return fail(`the ${format} importer is not available in this build`);
          result = await importer(json, context);
        }
        const store: Store = await openStore(databaseUrl(options.db));
        try {
          const outcome = await sync(store.catalog, result, { dryRun: options.dryRun, prune: options.prune, rebuild });
          printReport(format, where, result, outcome, options);
        } finally {
          await store.close();
        }
      },
    );
}

function printReport(
  format: CatalogSource,
  where: string,
  result: ImportResult,
  outcome: Awaited<ReturnType<typeof sync>>,
  options: { dryRun: boolean; prune: boolean; verbose: boolean },
): void {
  const { plan } = outcome;
  const out: string[] = [`${format}: ${where}`];
  const kinds = ['author', 'provider', 'model', 'endpoint'] as const;
  const count = (entries: ReadonlyArray<{ kind: string }>, kind: string): number => entries.filter((entry) => entry.kind === kind).length;
  out.push(
    table(
      ['', 'ADDED', 'CHANGED', 'LEFT ALONE', options.prune ? 'REMOVED' : 'STALE (KEPT)'],
      kinds.map((kind) => [
        `${kind}s`,
        String(count(plan.added, kind)),
        String(count(plan.changed, kind)),
        String(count(plan.unchanged, kind)),
        String(count(plan.stale, kind)),
      ]),
    ),
  );
  const lines = [
    ...plan.added.map((entry) => `+ ${entry.kind} ${entry.id}`),
    ...plan.changed.map((entry) => `~ ${entry.kind} ${entry.id}: ${describeChange(entry.previous, entry.body).join('; ')}`),
    ...plan.stale.map(
      (entry) => `${options.prune ? '-' : '?'} ${entry.kind} ${entry.id}${options.prune ? '' : ' (no longer in the source; kept)'}`,
    ),
  ];
  if (lines.length > 0) {
    const shown = options.verbose ? lines : lines.slice(0, 40);
    out.push('', ...shown);
    if (shown.length < lines.length) out.push(`… and ${lines.length - shown.length} more (--verbose lists them all)`);
  }
  if (result.unmatched.length > 0) {
    out.push('', `not imported (${result.unmatched.length}), by reason:`);
    const byReason = new Map<string, string[]>();
    for (const item of result.unmatched) byReason.set(item.reason, [...(byReason.get(item.reason) ?? []), item.name]);
    for (const [reason, names] of [...byReason].sort((left, right) => right[1].length - left[1].length)) {
      const shown = options.verbose ? names : names.slice(0, 8);
      out.push(`  ${reason} (${names.length}): ${shown.join(', ')}${shown.length < names.length ? ', …' : ''}`);
    }
  }
  if (result.notes.length > 0) out.push('', ...result.notes.map((note) => `note: ${note}`));
  const servable = [...outcome.config.models.values()].filter((model) =>
    model.endpoints.some((endpoint) => outcome.config.providers.get(endpoint.providerId)?.enabled),
  ).length;
  out.push(
    '',
    options.dryRun
      ? 'dry run: nothing written'
      : outcome.written
        ? `written (catalog version ${outcome.version}); a running gateway picks it up within its catalog_refresh_ms`
        : 'nothing changed',
    `the catalog ${options.dryRun ? 'would list' : 'lists'} ${outcome.config.models.size} models, ${servable} servable with the keys set here`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
