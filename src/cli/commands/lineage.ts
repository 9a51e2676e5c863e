/**
 * `agora lineage ID` — a model's base chain and derivative tree, drawn in the terminal, from the
 * lineage graph in the database; `agora lineage import FILE|URL` — fills that graph from Hub model
 * infos or the model-tree sample format; `agora lineage families` — the family comparison.
 * ID is an Agora model id (mapped through the catalog's hugging_face_id) or a Hugging Face id.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { importLineage } from '../../catalog/import/lineage.js';
import {
  LINEAGE_LIMITS,
  LineageGraph,
  RELATIONS,
  resolveLineageId,
  servedMapOf,
  type BaseEntry,
  type CountsView,
  type FamilySort,
  type LineageView,
  type TreeEntry,
} from '../../catalog/lineage.js';
import { loadConfig } from '../../config/load.js';
import type { ResolvedConfig } from '../../config/types.js';
import { openStore, type Store } from '../../store/index.js';
import { databaseUrl, table } from '../options.js';

interface DbOption {
  db?: string;
}

async function withStore<T>(options: DbOption, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl(options.db));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function wholeOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} expects a whole number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}

const number = (value: number | null): string => (value === null ? '?' : value.toLocaleString('en-US'));
const downloads = (value: number | null): string => (value === null ? '' : `  ${number(value)}↓`);
const served = (ids: readonly string[]): string => (ids.length === 0 ? '' : `  [agora: ${ids.join(', ')}]`);

function kinds(counts: CountsView): string {
  return RELATIONS.map((relation) => `${relation} ${number(counts.by_kind[relation])}`).join(' · ');
}

function depths(counts: CountsView): string {
  const entries = Object.entries(counts.by_depth);
  return entries.length === 0 ? '-' : entries.map(([depth, count]) => `${depth}: ${number(count)}`).join(' · ');
}

/** The base chain, drawn upward: each base under the model that derives from it. */
function drawBases(entries: readonly BaseEntry[], prefix: string, lines: string[]): void {
  entries.forEach((entry, index) => {
    const last = index === entries.length - 1;
    const cut = entry.truncated ? '  (…)' : '';
    lines.push(
      `${prefix}${last ? '└─▶ ' : '├─▶ '}${entry.relation} of ${entry.id}${downloads(entry.downloads)}${served(entry.agora_models)}${cut}`,
    );
    drawBases(entry.bases, `${prefix}${last ? '    ' : '│   '}`, lines);
  });
}

function drawTree(entry: TreeEntry, prefix: string, lines: string[]): void {
  const rows: Array<TreeEntry | number> = [...entry.children];
  if (entry.more > 0) rows.push(entry.more);
  rows.forEach((row, index) => {
    const last = index === rows.length - 1;
    const branch = last ? '└── ' : '├── ';
    if (typeof row === 'number') {
      lines.push(`${prefix}${branch}… ${number(row)} more`);
      return;
    }
    lines.push(`${prefix}${branch}[${row.relation}] ${row.id}${downloads(row.downloads)}${served(row.agora_models)}`);
    drawTree(row, `${prefix}${last ? '    ' : '│   '}`, lines);
  });
}

/** The whole text view of one node. */
export function renderLineage(view: LineageView, query: { depth: number; limit: number }): string {
  const { node } = view;
  const lines: string[] = [];
  lines.push(`${node.id}${node.agora_models.length > 0 ? ` — served as ${node.agora_models.join(', ')}` : ''}`);
  const facts = [
    node.pipeline_tag,
    node.library_name,
    node.license ? `license ${node.license}` : null,
    node.downloads === null ? null : `${number(node.downloads)} downloads`,
    node.likes === null ? null : `${number(node.likes)} likes`,
    node.created_at ? `created ${node.created_at.slice(0, 10)}` : null,
    node.metadata_known ? null : 'no metadata (known only as a base or derivative)',
  ].filter((fact): fact is string => fact !== null);
  if (facts.length > 0) lines.push(facts.join(' · '));
  lines.push(node.url, '');

  if (view.bases.length === 0) lines.push('Base chain: none — a root model');
  else {
    lines.push('Base chain:', node.id);
    drawBases(view.bases, '', lines);
  }
  lines.push('');
  for (const family of view.families) {
    const where = family.depth === 0 ? '' : ` (depth ${family.depth} here)`;
    lines.push(`Family ${family.root}${where}: ${number(family.derivatives.total)} derivatives — ${kinds(family.derivatives)}`);
    lines.push(`  by depth: ${depths(family.derivatives)}`);
  }
  const derivatives = view.derivatives;
  if (derivatives.total > 0 && !(view.families.length === 1 && view.families[0]!.depth === 0)) {
    lines.push(`Derivatives of ${node.id}: ${number(derivatives.total)} — ${kinds(derivatives)}`);
    lines.push(`  by depth: ${depths(derivatives)}`);
  }
  if (derivatives.top.length > 0) {
    lines.push('', 'Top derivatives by downloads:');
    lines.push(
      table(
        ['#', 'MODEL', 'KIND', 'DEPTH', 'DOWNLOADS', 'LIKES'],
        derivatives.top.map((entry, index) => [
          String(index + 1),
          `${entry.id}${served(entry.agora_models)}`,
          entry.relation,
          String(entry.depth),
          number(entry.downloads),
          number(entry.likes),
        ]),
      )
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  if (view.served_bases.length > 0) {
    lines.push('', 'Served bases:');
    for (const base of view.served_bases) lines.push(`  ${base.id} (${base.distance} up)${served(base.agora_models)}`);
  }
  if (view.served_derivatives.length > 0) {
    lines.push('', 'Served derivatives:');
    for (const item of view.served_derivatives)
      lines.push(`  ${item.id} (${item.relation}, depth ${item.depth})${served(item.agora_models)}`);
  }
  if (derivatives.total === 0) {
    lines.push('', `Derivatives: none — nothing imported derives from ${node.id}.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    '',
    `Derivative tree (depth ≤ ${query.depth}, ${number(view.tree_nodes)} of ${number(derivatives.total)} shown${view.tree_truncated ? '; raise --depth or --limit for more' : ''}):`,
  );
  lines.push(`${node.id}${downloads(node.downloads)}${served(node.agora_models)}`);
  drawTree(view.tree, '', lines);
  return `${lines.join('\n')}\n`;
}

/** The configured catalog for Agora ids; without one (or with a broken one) Hub ids still work. */
function catalogOrNothing(file: string | undefined): ResolvedConfig | undefined {
  try {
    return loadConfig({ file: file ?? process.env.AGORA_CONFIG });
  } catch (error) {
    process.stderr.write(`agora: the config could not be loaded (${(error as Error).message}); Agora model ids are not mapped\n`);
    return undefined;
  }
}

export function registerLineage(program: Command): void {
  const lineage = program
    .command('lineage')
    .description("a model's base chain and derivative tree (finetunes, adapters, quantizations, merges), from imported Hub data")
    .argument('<id>', 'an Agora model id (deepseek/deepseek-r1) or a Hugging Face id (deepseek-ai/DeepSeek-R1, any case)')
    .option(
      '--depth <n>',
      `levels of the derivative tree (default ${LINEAGE_LIMITS.depth.default})`,
      wholeOption('--depth', LINEAGE_LIMITS.depth.min, LINEAGE_LIMITS.depth.max),
    )
    .option(
      '--limit <n>',
      `derivatives shown in the tree at most (default ${LINEAGE_LIMITS.limit.default})`,
      wholeOption('--limit', LINEAGE_LIMITS.limit.min, LINEAGE_LIMITS.limit.max),
    )
    .option(
      '--top <n>',
      'top derivatives by downloads to list (default 10)',
      wholeOption('--top', LINEAGE_LIMITS.top.min, LINEAGE_LIMITS.top.max),
    )
    .option('--json', 'print the answer of GET /api/v1/lineage/{id} as JSON instead of the tree', false)
    .option('--config <file>', 'YAML config file, for Agora model ids (env AGORA_CONFIG)')
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (id: string, options: DbOption & { depth?: number; limit?: number; top?: number; json: boolean; config?: string }) => {
      const config = catalogOrNothing(options.config);
      const models = config ? [...config.models.values()] : [];
      const graph = await withStore(options, async (store) => LineageGraph.fromRows(await store.lineage.loadAll()));
      const { node, huggingFaceId } = resolveLineageId(graph, id, (agoraId) => config?.models.get(agoraId)?.huggingFaceId);
      if (!node) {
        const hint = graph.size === 0 ? ' The lineage graph is empty: run `agora lineage import FILE|URL` first.' : '';
        process.stderr.write(
          `agora: ${id}${huggingFaceId ? ` (Hugging Face id ${huggingFaceId})` : ''} is not in the lineage graph (${number(graph.size)} models).${hint}\n`,
        );
        process.exitCode = 1;
        return;
      }
      const query = {
        depth: options.depth ?? LINEAGE_LIMITS.depth.default,
        limit: options.limit ?? LINEAGE_LIMITS.limit.default,
        top: options.top ?? LINEAGE_LIMITS.top.default,
      };
      const view = graph.lineage(node, query, servedMapOf(models));
      process.stdout.write(options.json ? `${JSON.stringify(view, null, 2)}\n` : renderLineage(view, query));
    });

  lineage
    .command('import')
    .description(
      'import lineage from a file or URL: Hub model infos (one, a JSON array, or a paged /api/models list) or the model-tree sample format',
    )
    .argument(
      '<source>',
      'a file path, or an http(s) URL such as https://huggingface.co/api/models?filter=base_model:deepseek-ai/DeepSeek-R1',
    )
    .option('--dry-run', 'report what would change; write nothing', false)
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .addHelpText('after', '\nEnvironment: HF_TOKEN (sent to the Hub only, never printed), HF_ENDPOINT (a Hub mirror).')
    .action(async (source: string, _own: unknown, command: Command) => {
      // --db is also the parent's option, which parses it wherever it stands: read both.
      const options = command.optsWithGlobals<DbOption & { dryRun: boolean }>();
      const progress = (message: string): void => void process.stderr.write(`${message}\n`);
      progress(`reading ${source} …`);
      const started = Date.now();
      const { report, read } = await withStore(options, (store) =>
        importLineage(store.lineage, source, {
          dryRun: options.dryRun,
          hub: { onProgress: ({ pages, models }) => progress(`  page ${pages}: ${number(models)} models so far`) },
          onProgress: (phase, done, total) =>
            progress(`  ${phase === 'compare' ? 'compared' : 'wrote'} ${number(done)} of ${number(total)} rows`),
        }),
      );
      const out: string[] = [];
      out.push(
        `Read ${number(read.models)} models from ${source}${read.pages > 1 ? ` (${read.pages} pages)` : ''}${read.skipped > 0 ? `; ${number(read.skipped)} infos without a valid id skipped` : ''}.`,
      );
      out.push(
        table(
          ['', 'ADDED', 'CHANGED', 'UNCHANGED'],
          [
            ['models', number(report.nodes.added), number(report.nodes.changed), number(report.nodes.unchanged)],
            ['edges', number(report.edges.added), number(report.edges.changed), number(report.edges.unchanged)],
          ],
        ),
      );
      const examples = [
        ['added models', report.examples.addedNodes],
        ['changed models', report.examples.changedNodes],
        ['added edges', report.examples.addedEdges],
        ['changed edges', report.examples.changedEdges],
      ] as const;
      for (const [label, list] of examples) if (list.length > 0) out.push(`${label}, e.g.: ${list.slice(0, 5).join(', ')}`);
      const changed = report.nodes.added + report.nodes.changed + report.edges.added + report.edges.changed;
      out.push(
        options.dryRun
          ? `Dry run: nothing written (${number(changed)} rows would change).`
          : changed === 0
            ? `Nothing changed; lineage version ${report.version}.`
            : `Written in ${((Date.now() - started) / 1000).toFixed(1)} s; lineage version ${report.version} (a running gateway reloads its graph within seconds).`,
      );
      process.stdout.write(`${out.join('\n')}\n`);
    });

  lineage
    .command('families')
    .description('every family (a root and its derivatives) with counts by kind and depth: family vs family')
    .option('--sort <key>', 'total, finetune, adapter, quantized, merge, downloads, depth or root', 'total')
    .option('--limit <n>', 'families to show (default 50)', wholeOption('--limit', 1, 10_000))
    .option('--db <url>', 'database URL (env AGORA_DB)')
    .action(async (_own: unknown, command: Command) => {
      // Options named like the parent's (--db, --limit) are parsed by the parent: read both.
      const options = command.optsWithGlobals<DbOption & { sort: string; limit?: number }>();
      const sorts: readonly FamilySort[] = ['total', 'finetune', 'adapter', 'quantized', 'merge', 'downloads', 'depth', 'root'];
      if (!(sorts as readonly string[]).includes(options.sort))
        throw new Error(`--sort expects one of ${sorts.join(', ')}, got "${options.sort}"`);
      const graph = await withStore(options, async (store) => LineageGraph.fromRows(await store.lineage.loadAll()));
      const families = graph.families({ sort: options.sort as FamilySort, limit: options.limit ?? 50, top: 1 });
      process.stdout.write(
        `${table(
          ['ROOT', 'TOTAL', ...RELATIONS.map((relation) => relation.toUpperCase()), 'MAX DEPTH', 'TOP DERIVATIVE'],
          families.map((family) => [
            family.root.id,
            number(family.derivatives.total),
            ...RELATIONS.map((relation) => number(family.derivatives.by_kind[relation])),
            String(family.max_depth),
            family.top[0] ? `${family.top[0].id}${downloads(family.top[0].downloads)}` : '-',
          ]),
        )}\n${families.length < graph.familyCount ? `(${families.length} of ${graph.familyCount} families)\n` : ''}`,
      );
    });
}
