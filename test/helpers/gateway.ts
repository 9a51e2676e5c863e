/**
 * Starts a real gateway in-process on a loopback port, over SQLite (a temp file) or the local
 * PostgreSQL (a fresh schema), with a known master key. Tests drive it with the official SDKs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/lib/logger.js';
import { startGateway, type RunningGateway } from '../../src/main.js';

export type TestDatabase = 'sqlite' | 'postgres';
export const POSTGRES_URL = process.env.AGORA_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MASTER_KEY = 'sk-agora-test-master-key-0123456789abcdef';
/** The fake provider's key: a canary that must never appear in a log or a response. */
export const UPSTREAM_KEY = 'sk-acme-CANARY-upstream-secret-9f8e7d6c5b4a';

export interface TestGateway {
  running: RunningGateway;
  url: string;
  databaseUrl: string;
  /** Log lines the gateway wrote. */
  logs: string[];
  createKey(name?: string): Promise<string>;
  client(apiKey: string, extra?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  close(): Promise<void>;
}

/** A prepaid key with `credit` USD, created through the admin API as an operator would (its ledger meters every answer). */
export async function prepaidKey(gateway: Pick<TestGateway, 'url'>, name: string, credit: number): Promise<string> {
  const created = await fetch(`${gateway.url}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, credit }),
  });
  if (created.status !== 201) throw new Error(`creating a prepaid key: ${created.status} ${await created.text()}`);
  return ((await created.json()) as { key: string }).key;
}

/** What `apiKey` has spent so far (its ledger's usage, from GET /api/v1/credits), in nanodollars. */
export async function spentNanos(gateway: Pick<TestGateway, 'url'>, apiKey: string): Promise<number> {
  const response = await fetch(`${gateway.url}/api/v1/credits`, { headers: { authorization: `Bearer ${apiKey}` } });
  return Math.round(((await response.json()) as { data: { total_usage: number } }).data.total_usage * 1e9);
}

/** A fresh, empty database URL of the given kind, and a function that removes it. */
export async function freshDatabase(kind: TestDatabase): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'agora-test-'));
    return { url: `sqlite:${join(folder, 'agora.db')}`, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  return {
    url: `${POSTGRES_URL}?schema=${schema}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

export interface TestGatewayOptions {
  yaml: string;
  database?: TestDatabase;
  databaseUrl?: string;
  keyRefreshMs?: number;
  env?: NodeJS.ProcessEnv;
  redisUrl?: string;
  redisPrefix?: string;
}

export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const env = options.env ?? { ...process.env, ACME_TEST_KEY: UPSTREAM_KEY };
  const config = loadConfig({ text: options.yaml, file: 'test.yaml', env });
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => undefined }
    : await freshDatabase(options.database ?? 'sqlite');
  const logs: string[] = [];
  const running = await startGateway({
    config,
    rebuildConfig: (synced) => loadConfig({ text: options.yaml, file: 'test.yaml', env, synced }),
    databaseUrl: database.url,
    port: 0,
    host: '127.0.0.1',
    masterKey: MASTER_KEY,
    logger: createLogger('debug', (line) => logs.push(line)),
    sinkIntervalMs: 10,
    keyRefreshMs: options.keyRefreshMs ?? 5_000,
    redisUrl: options.redisUrl,
    ...(options.redisPrefix ? { redisPrefix: options.redisPrefix } : {}),
  });
  return {
    running,
    url: running.url,
    databaseUrl: database.url,
    logs,
    createKey: async (name = 'test') => (await running.store.keys.create({ name })).key,
    client: (apiKey, extra) => new OpenAI({ baseURL: `${running.url}/v1`, apiKey, maxRetries: 0, timeout: 20_000, ...extra }),
    close: async () => {
      await running.shutdown(2_000);
      await database.drop();
    },
  };
}

/** A config with one provider `acme` at `upstreamUrl` and one model per scripted upstream mode. */
export function fakeConfig(upstreamUrl: string, modes: string[], extra = ''): string {
  const models = modes
    .map(
      (mode) =>
        `  acme/${mode.replace(/[^a-z0-9-]/g, '-')}:\n    endpoints:\n      - { provider: acme, model: "${mode}", pricing: { prompt: 0.5, completion: 1.5 }, context_length: 32768 }`,
    )
    .join('\n');
  return `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 1500, idle_ms: 1500 }
providers:
  acme:
    base_url: ${upstreamUrl}
    api_key_env: ACME_TEST_KEY
    jurisdiction: US
models:
${models}
${extra}`;
}

/** YAML for several providers (id → base URL, key ACME_TEST_KEY) and models (id → endpoints). */
export function routingConfig(
  providers: Record<string, string | { url: string; extra?: string }>,
  models: Record<string, Array<{ provider: string; model: string; prompt?: number; completion?: number; extra?: string }>>,
  extra = '',
): string {
  const providerYaml = Object.entries(providers)
    .map(([id, value]) => {
      const { url, extra: more } = typeof value === 'string' ? { url: value, extra: undefined } : value;
      return `  ${id}:\n    base_url: ${url}\n    api_key_env: ACME_TEST_KEY${more ? `\n    ${more}` : ''}`;
    })
    .join('\n');
  const modelYaml = Object.entries(models)
    .map(
      ([id, endpoints]) =>
        `  ${id}:\n    endpoints:\n${endpoints
          .map(
            (endpoint) =>
              `      - { provider: ${endpoint.provider}, model: "${endpoint.model}", pricing: { prompt: ${endpoint.prompt ?? 1}, completion: ${endpoint.completion ?? 1} }${endpoint.extra ? `, ${endpoint.extra}` : ''} }`,
          )
          .join('\n')}`,
    )
    .join('\n');
  return `bundled_catalog: false
timeouts: { connect_ms: 1000, first_byte_ms: 2000, idle_ms: 2000 }
providers:
${providerYaml}
models:
${modelYaml}
${extra}`;
}

/**
 * Every endpoint's health as routing sees it (circuit, error rate, outcomes counted, cool-down):
 * equal before and after a batch of requests means the batch changed no endpoint's health.
 */
export function healthSnapshot(gateway: TestGateway): Record<string, unknown> {
  const now = Date.now();
  const out: Record<string, unknown> = {};
  for (const [key, health] of gateway.running.gateway.planner.health.entries()) {
    const stats = health.stats(now);
    out[key] = {
      circuit: health.circuit,
      error_rate: stats.error_rate,
      requests_1d: stats.requests_1d,
      cooling: health.cooldownUntil > now,
      ejections: health.ejections,
    };
  }
  return out;
}

/** Log lines at error level (a client's mistake or departure must never produce one). */
export function errorLines(gateway: TestGateway): string[] {
  return gateway.logs.filter((line) => line.includes('"level":"error"'));
}
