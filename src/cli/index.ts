/** The `agora` command line. Every command and subcommand has --help. */
import { Command } from 'commander';

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('agora')
  .description('Agora: one OpenAI-compatible endpoint in front of many open-model providers.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

// Each command's module is imported only when it can be the one that runs: `agora serve` (the
// start a restart waits for) loads no code of the other commands, their importers or their
// suites. Any other first word (another command, --help, a typo) registers every command, so the
// help, the usage errors and the suggestions are the same as ever.
const COMMANDS = {
  serve: async () => (await import('./commands/serve.js')).registerServe,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
  models: async () => (await import('./commands/models.js')).registerModels,
  lineage: async () => (await import('./commands/lineage.js')).registerLineage,
  rankings: async () => (await import('./commands/rankings.js')).registerRankings,
  policy: async () => (await import('./commands/policy.js')).registerPolicy,
  bench: async () => (await import('./commands/bench.js')).registerBench,
};
const first = process.argv[2];
const only = first !== undefined && Object.hasOwn(COMMANDS, first) ? [first as keyof typeof COMMANDS] : undefined;
const registers = await Promise.all((only ?? (Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>)).map((name) => COMMANDS[name]()));
for (const register of registers) register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
