/**
 * `agora bench run|verify|probe|leaderboard|suites` — benchmarks through a running gateway. Every
 * model call goes to the gateway's HTTP API with a key (`--url`/AGORA_URL, `--key`/AGORA_API_KEY), so
 * it is routed, failed over, metered and charged like any other request; results are stored in the
 * gateway's database (`--db`/AGORA_DB), where `GET /api/v1/leaderboard` reads them.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadSuite, SUITES } from '../../evals/formats/index.js';
import { probeAll, type ProbeResult } from '../../evals/probe.js';
import { runSuite, type Progress } from '../../evals/runner.js';
import { verifyHosts } from '../../evals/verify.js';
import { openStore, type Store } from '../../store/index.js';
import { databaseUrl, table } from '../options.js';

interface GatewayOptions {
  url?: string;
  key?: string;
  db?: string;
  json?: boolean;
}

interface RunOptions extends GatewayOptions {
  suite: string;
  file?: string;
  model: string;
  provider?: string;
  limit?: number;
  concurrency: number;
  repeats: number;
  temperature: number;
  seed?: number;
}

function whole(name: string, min = 1) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new InvalidArgumentError(`${name} expects a whole number of ${min} or more, got "${value}"`);
    return parsed;
  };
}

function temperatureOption(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 2)
    throw new InvalidArgumentError(`--temperature expects a number from 0 to 2, got "${value}"`);
  return parsed;
}

/** `10m`, `1h`, `30s`, `500ms` → milliseconds. */
function durationOption(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`--probe-every expects a duration such as 30s, 10m or 1h, got "${value}"`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}

function gateway(options: GatewayOptions): { url: string; key: string } {
  const url = options.url ?? process.env.AGORA_URL ?? 'http://127.0.0.1:8080';
  const key = options.key ?? process.env.AGORA_API_KEY;
  if (!key) {
    process.stderr.write('agora: a key is needed to call the gateway: --key KEY or AGORA_API_KEY (agora keys create makes one)\n');
    process.exit(2);
  }
  return { url, key };
}

async function withStore<T>(options: GatewayOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl(options.db));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** A progress line on stderr: a bar on a terminal (redrawn in place), a line per 10% otherwise. */
function progressPrinter(label: string): (progress: Progress) => void {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return (progress) => {
    const fraction = progress.total === 0 ? 1 : progress.done / progress.total;
    const width = 24;
    const filled = Math.round(fraction * width);
    const score = progress.done > 0 ? `${((progress.correct / progress.done) * 100).toFixed(1)}%` : '–';
    const line =
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progress.done}/${progress.total}` +
      ` ${(fraction * 100).toFixed(0)}%  ${progress.rate.toFixed(2)} items/s  ETA ${duration(progress.etaSeconds)}  score ${score}` +
      (progress.resumed > 0 ? `  (resumed ${progress.resumed})` : '');
    if (tty) process.stderr.write(`\r${line}\u001b[K${progress.done === progress.total ? '\n' : ''}`);
    else {
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  };
}

/** The hosts named in a comma-separated flag, else every host of the model as the gateway lists them. */
async function hostsOf(url: string, model: string, flag: string | undefined): Promise<string[]> {
  const named = flag
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (named) return named;
  const response = await fetch(`${url}/api/v1/models/${model}/endpoints`);
  if (!response.ok) throw new Error(`the gateway does not list endpoints of ${model} (${response.status})`);
  const json = (await response.json()) as { data: { endpoints: Array<{ tag: string }> } };
  return json.data.endpoints.map((endpoint) => endpoint.tag);
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks through the gateway: suites and scores, speed probes, host verification, the leaderboard');

  const common = (command: Command): Command =>
    command
      .option('--url <url>', 'the gateway (env AGORA_URL)', undefined)
      .option('--key <key>', 'an API key of that gateway (env AGORA_API_KEY)')
      .option('--db <url>', "the gateway's database, where results are stored (env AGORA_DB)")
      .option('--json', 'print JSON', false);

  bench
    .command('suites')
    .description('the suites and the file format each reads')
    .action(() => {
      process.stdout.write(
        `${table(
          ['suite', 'default file', 'format'],
          Object.entries(SUITES).map(([name, item]) => [name, item.defaultPath, item.format]),
        )}\n`,
      );
    });

  common(
    bench
      .command('run')
      .description('runs a suite against a model through the gateway; the same command again resumes an unfinished run')
      .requiredOption('--suite <name>', `one of ${Object.keys(SUITES).join(', ')}`)
      .option('--file <path|url>', "the suite's items (its documented format); default: the bundled dataset")
      .requiredOption('--model <id>', 'the model, e.g. deepseek/deepseek-r1')
      .option('--provider <id>', 'pin every call to this provider (no fallback)')
      .option('--limit <n>', 'the first N items only', whole('--limit'))
      .option('--concurrency <n>', 'calls in flight', whole('--concurrency'), 4)
      .option('--repeats <n>', 'ask every item this many times', whole('--repeats'), 1)
      .option('--temperature <t>', 'sampling temperature (recorded)', temperatureOption, 0)
      .option('--seed <n>', 'sampling seed sent to the model (recorded)', whole('--seed', 0)),
  ).action(async (options: RunOptions) => {
    const { url, key } = gateway(options);
    const { suite, source } = await loadSuite(options.suite, options.file);
    await withStore(options, async (store) => {
      const result = await runSuite({
        gatewayUrl: url,
        apiKey: key,
        suite,
        source,
        model: options.model,
        provider: options.provider,
        limit: options.limit,
        concurrency: options.concurrency,
        repeats: options.repeats,
        temperature: options.temperature,
        seed: options.seed,
        store: store.evals,
        onProgress: progressPrinter(`${options.suite} ${options.model}`),
      });
      const summary = {
        run: result.run.id,
        suite: suite.name,
        model: options.model,
        provider: options.provider ?? null,
        complete: result.complete,
        items: result.totals.n,
        correct: result.totals.correct,
        errors: result.totals.errors,
        score: result.score.score * 100,
        ci95: [result.score.low * 100, result.score.high * 100],
        cost_usd: result.totals.cost_usd,
        prompt_tokens: result.totals.prompt_tokens,
        completion_tokens: result.totals.completion_tokens,
        wall_ms: result.wallMs,
        asked_now: result.asked,
        resumed: result.resumed,
        temperature: options.temperature,
        seed: options.seed ?? null,
      };
      if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else
        process.stdout.write(
          `run ${summary.run}: ${summary.correct}/${summary.items} correct = ${summary.score.toFixed(1)}% ` +
            `(95% CI ${summary.ci95[0]!.toFixed(1)}–${summary.ci95[1]!.toFixed(1)}), ${summary.errors} failed calls, ` +
            `$${summary.cost_usd.toFixed(4)}, ${summary.prompt_tokens}+${summary.completion_tokens} tokens, ${(summary.wall_ms / 1000).toFixed(1)} s` +
            `${result.complete ? '' : ' — not finished: run the same command again to resume'}\n`,
        );
      if (!result.complete) process.exitCode = 1;
    });
  });

  common(
    bench
      .command('verify')
      .description('checks each host of a model against a reference host: suite accuracy, tool calls, agreement; flags the unfaithful ones')
      .requiredOption('--model <id>', 'the model')
      .requiredOption('--reference <provider>', 'the host trusted to serve the model faithfully (e.g. its author’s API)')
      .option('--providers <ids>', 'the hosts to check, comma-separated (default: every host of the model)')
      .option('--suite <name>', 'the accuracy suite', 'gsm8k')
      .option('--file <path|url>', "the suite's items; default: the bundled dataset")
      .option('--limit <n>', 'items per host', whole('--limit'), 100)
      .option('--concurrency <n>', 'calls in flight', whole('--concurrency'), 4)
      .option('--seed <n>', 'sampling seed', whole('--seed', 0)),
  ).action(
    async (
      options: GatewayOptions & {
        model: string;
        reference: string;
        providers?: string;
        suite: string;
        file?: string;
        limit: number;
        concurrency: number;
        seed?: number;
      },
    ) => {
      const { url, key } = gateway(options);
      const providers = await hostsOf(url, options.model, options.providers);
      const { suite, source } = await loadSuite(options.suite, options.file);
      await withStore(options, async (store) => {
        const verdicts = await verifyHosts({
          gatewayUrl: url,
          apiKey: key,
          suite,
          source,
          model: options.model,
          reference: options.reference,
          providers,
          limit: options.limit,
          concurrency: options.concurrency,
          seed: options.seed,
          store: store.evals,
          onProgress: (provider, progress) => progressPrinter(`${provider}`)(progress),
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify(
              verdicts.map((verdict) => verdict.row),
              null,
              2,
            )}\n`,
          );
          return;
        }
        process.stdout.write(
          `${table(
            ['provider', 'status', 'accuracy', 'agreement', 'tool F1', 'schema', 'why'],
            verdicts.map(({ row }) => [
              row.provider,
              row.status,
              `${row.correct}/${row.n}`,
              `${(row.agreement * 100).toFixed(0)}%`,
              row.tool_f1 === null ? '–' : row.tool_f1.toFixed(2),
              row.schema_accuracy === null ? '–' : `${(row.schema_accuracy * 100).toFixed(0)}%`,
              row.reason,
            ]),
          )}\n`,
        );
        if (verdicts.some((verdict) => verdict.row.status === 'flagged')) process.exitCode = 1;
      });
    },
  );

  common(
    bench
      .command('probe')
      .description('speed probes per endpoint: time to first token, output tokens/s, end-to-end, at ~100 and ~1,000 input tokens')
      .requiredOption('--model <id>', 'the model')
      .option('--provider <ids>', 'only these hosts, comma-separated (default: every host of the model)')
      .option('--probe-every <duration>', 'probe again on this schedule (e.g. 10m) until stopped', durationOption),
  ).action(async (options: GatewayOptions & { model: string; provider?: string; probeEvery?: number }) => {
    const { url, key } = gateway(options);
    const providers = await hostsOf(url, options.model, options.provider);
    const targets = providers.map((provider) => ({ model: options.model, provider }));
    const show = (result: ProbeResult): void => {
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else
        process.stdout.write(
          result.error
            ? `${result.provider} @${result.input_tokens} tokens: failed: ${result.error}\n`
            : `${result.provider} @${result.input_tokens} tokens: TTFT ${result.ttft_ms.toFixed(0)} ms, ${result.output_tps.toFixed(1)} tokens/s, ${result.e2e_ms.toFixed(0)} ms for ${result.output_tokens} tokens\n`,
        );
    };
    await withStore(options, async (store) => {
      for (;;) {
        await probeAll(url, key, targets, store.evals, show);
        if (!options.probeEvery) return;
        await new Promise((resolve) => setTimeout(resolve, options.probeEvery));
      }
    });
  });

  bench
    .command('leaderboard')
    .description('the leaderboard: index, suite scores with 95% intervals, blended price, speed, verification')
    .option('--url <url>', 'the gateway (env AGORA_URL)')
    .option('--key <key>', 'an API key of that gateway (env AGORA_API_KEY)')
    .option('--model <id>', 'one model')
    .option('--json', "print the API's answer", false)
    .action(async (options: GatewayOptions & { model?: string }) => {
      const { url, key } = gateway(options);
      const response = await fetch(`${url}/api/v1/leaderboard${options.model ? `?model=${encodeURIComponent(options.model)}` : ''}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const json = (await response.json()) as {
        data: Array<{
          model: string;
          index: number | null;
          coverage: number;
          suites: Record<string, { score: number; ci_low: number; ci_high: number; n: number }>;
          blended_price: number | null;
          median_output_tps: number | null;
          median_ttft_ms: number | null;
          base: { model: string; index: number | null } | null;
        }>;
        error?: { message: string };
      };
      if (!response.ok) throw new Error(json.error?.message ?? `the gateway answered ${response.status}`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      if (json.data.length === 0) {
        process.stdout.write('No finished benchmark runs yet: agora bench run --suite gsm8k --model ID --limit 50 makes one.\n');
        return;
      }
      const suites = [...new Set(json.data.flatMap((row) => Object.keys(row.suites)))].sort();
      process.stdout.write(
        `${table(
          ['model', 'index', 'coverage', ...suites, '$/1M blended', 'tok/s', 'TTFT ms', 'base (index)'],
          json.data.map((row) => [
            row.model,
            row.index === null ? '–' : row.index.toFixed(1),
            row.coverage.toFixed(2),
            ...suites.map((suite) => {
              const score = row.suites[suite];
              return score ? `${score.score.toFixed(1)} ±${((score.ci_high - score.ci_low) / 2).toFixed(1)}` : '–';
            }),
            row.blended_price === null ? '–' : row.blended_price.toFixed(3),
            row.median_output_tps === null ? '–' : row.median_output_tps.toFixed(0),
            row.median_ttft_ms === null ? '–' : row.median_ttft_ms.toFixed(0),
            row.base ? `${row.base.model} (${row.base.index ?? '–'})` : '',
          ]),
        )}\n`,
      );
    });
}
