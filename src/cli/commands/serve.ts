/** `agora serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. */
import type { Command } from 'commander';
import { addLocalModel } from '../../config/local.js';
import { loadConfig } from '../../config/load.js';
import { createLogger, type LogLevel } from '../../lib/logger.js';
import { startGateway, type RunningGateway } from '../../main.js';
import { loadTransport } from '../../providers/upstream-http.js';
import { maskDatabaseUrl } from '../../store/index.js';
import { databaseUrl, loadConfigOrExit, parseNumberOption } from '../options.js';

interface ServeOptions {
  config?: string;
  db?: string;
  redis?: string;
  port?: number;
  host?: string;
  logLevel: LogLevel;
  local?: string;
  localThreads?: number;
  localSequences?: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the gateway, its APIs and the web console')
    .option('--config <file>', 'YAML config file (env AGORA_CONFIG); without it, the bundled catalog')
    .option('--db <url>', 'sqlite:PATH, sqlite::memory: or postgres://… (env AGORA_DB)', undefined)
    .option('--redis <url>', 'Redis URL for state shared between instances (env AGORA_REDIS)')
    .option('--port <n>', 'port to listen on (env PORT, default 8700)', parseNumberOption('--port'))
    .option('--host <h>', 'address to listen on (default 127.0.0.1)')
    .option('--local <file>', 'serve a GGUF model in-process with llama.cpp as local/<name> (needs node-llama-cpp)')
    .option('--local-threads <n>', 'CPU threads for the local model', parseNumberOption('--local-threads'))
    .option('--local-sequences <n>', 'local requests generated in parallel (more wait in a queue)', parseNumberOption('--local-sequences'))
    .option('--log-level <level>', 'debug | info | warn | error | silent', 'info')
    .action(async (options: ServeOptions) => {
      const config = loadConfigOrExit(options.config);
      const logger = createLogger(options.logLevel);
      if (options.local) {
        try {
          const id = addLocalModel(config, options.local, { threads: options.localThreads, sequences: options.localSequences });
          logger.info('loading local model', { model: id, file: options.local });
        } catch (error) {
          process.stderr.write(`agora: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(2);
        }
      }
      const url = databaseUrl(options.db);
      const envPort = process.env.PORT ? Number(process.env.PORT) : undefined;
      let running: RunningGateway;
      try {
        running = await startGateway({
          config,
          // The same file and environment with the synced catalog merged in (at start and after each sync).
          // (At start with no synced catalog, that is the configuration already loaded.)
          rebuildConfig: (synced) => {
            if (synced === undefined) return config;
            const rebuilt = loadConfig({ file: options.config ?? process.env.AGORA_CONFIG, synced });
            if (options.local) addLocalModel(rebuilt, options.local, { threads: options.localThreads, sequences: options.localSequences });
            return rebuilt;
          },
          databaseUrl: url,
          host: options.host,
          port: options.port ?? envPort,
          masterKey: process.env.AGORA_MASTER_KEY || undefined,
          redisUrl: options.redis ?? (process.env.AGORA_REDIS || undefined),
          logger,
        });
      } catch (error) {
        process.stderr.write(`agora: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(2);
      }
      const enabled = [...running.gateway.catalog.config.providers.values()]
        .filter((provider) => provider.enabled)
        .map((provider) => provider.id);
      logger.info('agora is listening', {
        url: running.url,
        database: maskDatabaseUrl(url),
        config: config.source ?? '(bundled catalog)',
        providers_enabled: enabled,
        models_listed: running.gateway.catalog.models.size,
        models_servable: running.gateway.catalog.servable().length,
      });
      // The HTTP client is loaded lazily; with a provider on, load it now that the gateway listens, not on the first request.
      if (enabled.some((id) => running.gateway.catalog.config.providers.get(id)?.type !== 'local')) setImmediate(loadTransport);
      if (enabled.length === 0) {
        logger.warn('no provider is enabled: set a provider key such as DEEPSEEK_API_KEY, or pass --config with your own providers');
      }
      if (running.createdAdminKey) {
        process.stdout.write(`\nCreated an admin key (shown once, store it now; or set AGORA_MASTER_KEY):\n${running.createdAdminKey}\n\n`);
      }
      process.stdout.write(`Agora gateway on ${running.url}  (OpenAI base URL: ${running.url}/v1; console: ${running.url}/)\n`);
      let signals = 0;
      const stop = (signal: string): void => {
        signals++;
        if (signals > 1) process.exit(1);
        logger.info('stopping: finishing in-flight requests', { signal, in_flight: running.gateway.state.inFlight });
        running.shutdown().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error: String(error) });
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
