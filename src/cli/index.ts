/** The `agora` command line. Every command and subcommand has --help. */
import { Command } from 'commander';
import { registerKeys } from './commands/keys.js';
import { registerModels } from './commands/models.js';
import { registerServe } from './commands/serve.js';

const program = new Command('agora')
  .description('Agora: one OpenAI-compatible endpoint in front of many open-model providers.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerServe(program);
registerKeys(program);
registerModels(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
