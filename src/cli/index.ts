/** The `agora` command line. Every command and subcommand has --help. */
import { Command } from 'commander';
import { registerKeys } from './commands/keys.js';
import { registerLineage } from './commands/lineage.js';
import { registerModels } from './commands/models.js';
import { registerBench } from './commands/bench.js';
import { registerPolicy } from './commands/policy.js';
import { registerRankings } from './commands/rankings.js';
import { registerServe } from './commands/serve.js';

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('agora')
  .description('Agora: one OpenAI-compatible endpoint in front of many open-model providers.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerServe(program);
registerKeys(program);
registerModels(program);
registerLineage(program);
registerRankings(program);
registerPolicy(program);
registerBench(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
