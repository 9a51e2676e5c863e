/** `agora models list|show` — the catalog as this config resolves it (no database needed). */
import type { Command } from 'commander';
import { loadConfigOrExit, table } from '../options.js';

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model catalog');

  models
    .command('list')
    .description('list models with their providers and list prices (USD per 1M tokens)')
    .option('--author <author>', 'only this author (e.g. deepseek, qwen)')
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG)')
    .action((options: { author?: string; config?: string }) => {
      const config = loadConfigOrExit(options.config);
      const rows = [...config.models.values()]
        .filter((model) => !options.author || model.author === options.author.toLowerCase())
        .sort((left, right) => left.id.localeCompare(right.id))
        .map((model) => {
          const providers = model.endpoints.map(
            (endpoint) => `${endpoint.providerId}${config.providers.get(endpoint.providerId)?.enabled ? '' : '(off)'}`,
          );
          const cheapest = [...model.endpoints].sort((left, right) => left.pricing.prompt - right.pricing.prompt)[0]!;
          return [
            model.id,
            model.kind,
            String(model.contextLength ?? '-'),
            `${cheapest.pricing.prompt}`,
            `${cheapest.pricing.completion}`,
            providers.join(', '),
          ];
        });
      process.stdout.write(`${table(['MODEL', 'KIND', 'CONTEXT', 'PROMPT', 'COMPLETION', 'PROVIDERS'], rows)}\n`);
    });

  models
    .command('show')
    .description("show one model's endpoints, prices and provider status")
    .argument('<id>', 'model id, e.g. deepseek/deepseek-r1')
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG)')
    .action((id: string, options: { config?: string }) => {
      const config = loadConfigOrExit(options.config);
      const model = config.models.get(id);
      if (!model) {
        process.stderr.write(`agora: no model ${id} in the catalog (try \`agora models list\`)\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `${model.name} (${model.id})\n${model.description ?? ''}\ncontext: ${model.contextLength ?? '-'}  kind: ${model.kind}\n\n`,
      );
      process.stdout.write(
        `${table(
          ['PROVIDER', 'UPSTREAM MODEL', 'PROMPT', 'COMPLETION', 'CACHE READ', 'CONTEXT', 'STATUS'],
          model.endpoints.map((endpoint) => {
            const provider = config.providers.get(endpoint.providerId)!;
            return [
              provider.id,
              endpoint.upstreamModel,
              String(endpoint.pricing.prompt),
              String(endpoint.pricing.completion),
              String(endpoint.pricing.cacheRead ?? '-'),
              String(endpoint.contextLength ?? '-'),
              provider.enabled ? `on (${provider.baseUrl})` : `off: ${provider.disabledReason ?? ''}`,
            ];
          }),
        )}\n`,
      );
    });
}
