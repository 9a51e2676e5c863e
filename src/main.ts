/**
 * Start: load config → open store (migrations) → load snapshots → listen. And stop: refuse new
 * connections, let in-flight requests finish within the grace period, flush the record sink,
 * close the store.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { KeyDirectory } from './catalog/key-directory.js';
import { LineageDirectory } from './catalog/lineage.js';
import type { CatalogSnapshot } from './catalog/snapshot.js';
import { CatalogRefresher } from './catalog/refresh.js';
import type { ProviderAdapter } from './contract/provider-adapter.js';
import type { LocalAdapter } from './providers/local/adapter.js';
import type { ResolvedConfig } from './config/types.js';
import type { Gateway } from './gateway.js';
import { createHttpServer, endRunning } from './http/server.js';
import { dispatcher, errorShapeFor } from './routes.js';
import type { LifecycleParts } from './lifecycle/parts.js';
import { ResponseStore } from './metering/response-store.js';
import type { NewStoredResponse } from './store/repos/responses.js';
import { createLogger, withRedaction, type Logger } from './lib/logger.js';
import { CreditBook } from './metering/ledger.js';
import { BatchWriter } from './metering/sink.js';
import { SETTLE_TIMEOUT_MS, storeDown } from './metering/settle.js';
import { StoreProbe } from './metering/store-probe.js';
import { LocalLimiter, SharedLimiter } from './metering/rate-limit.js';
import { IdempotencyStore, IDEMPOTENCY_TTL_MS } from './metering/idempotency.js';
import { loadCredits, loadAccountCredits } from './metering/load.js';
import { RetryBudget } from './routing/execute.js';
import { Telemetry } from './telemetry/telemetry.js';
import { HealthRegistry } from './routing/health.js';
import { Planner } from './routing/plan.js';
import { rollupDeltas, type CountryOf } from './rankings/rollup.js';
import { ClientRegionResolver } from './governance/client-region.js';
import { Governance } from './governance/gate.js';
import { VerificationDirectory } from './evals/verified.js';
import type { NewAuditRow } from './store/repos/policies.js';
import { StickyRoutes } from './routing/stickiness.js';
import { openStore, DEFAULT_DATABASE_URL, type Store } from './store/index.js';
import type { NewGeneration } from './store/repos/generations.js';
import type { LedgerWrite } from './store/repos/ledger.js';

export interface GatewayOptions {
  config: ResolvedConfig;
  databaseUrl?: string;
  host?: string;
  port?: number;
  /** AGORA_MASTER_KEY: a bearer key with admin rights that is never stored. */
  masterKey?: string | undefined;
  logger?: Logger;
  /** How often the record sink writes (ms). */
  sinkIntervalMs?: number;
  /** How often the key snapshot is refreshed from the database (ms). */
  keyRefreshMs?: number;
  /** How often the lineage version is checked for an import made by another process (ms). */
  lineageRefreshMs?: number;
  /** Endpoint health to start from (tests). */
  health?: HealthRegistry;
  /** Redis URL: endpoint health (circuits, outcomes) is shared with the other instances on it. */
  redisUrl?: string | undefined;
  /** Key and channel prefix in Redis (default `agora:`). */
  redisPrefix?: string;
  /**
   * The configuration again with the synced catalog (`agora models sync`, stored in the database)
   * merged in: called at start and whenever the synced catalog changes. Without it, the synced
   * catalog is not used and `config` is the catalog.
   */
  rebuildConfig?: (synced: unknown) => ResolvedConfig;
}

export interface RunningGateway {
  url: string;
  port: number;
  gateway: Gateway;
  store: Store;
  server: Server;
  /** The admin key created on first start (no master key, no admin key in the store); shown once. */
  createdAdminKey: string | undefined;
  /** Looks for a newer synced catalog now (it is also looked for every `catalog_refresh_ms`); true when one was installed. */
  refreshCatalog(): Promise<boolean>;
  /** Graceful stop; resolves when everything is flushed and closed. */
  shutdown(graceMs?: number): Promise<void>;
}

/** How long a provider's old adapter stays open after a new snapshot stopped using it (its requests finish first). */
const RETIRE_AFTER_MS = 10 * 60_000;

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const secrets = options.config.secrets;
  const logger = withRedaction(options.logger ?? createLogger('info'), (text) => secrets.redact(text));
  // The client-region settings and GeoIP file are checked before anything is opened: a bad file stops the start.
  const settings = options.config.governance;
  const regions = await ClientRegionResolver.open({
    header: settings.regionHeader,
    trustedProxies: [...settings.trustedProxies],
    geoipDatabase: settings.geoipDatabase,
  });
  if (regions.database) logger.info('GeoIP database loaded', { path: regions.database.path, type: regions.database.databaseType });
  const store = await openStore(options.databaseUrl ?? DEFAULT_DATABASE_URL);
  const ledgerWriter = new BatchWriter<LedgerWrite>((rows) => store.ledger.insertMany(rows), logger, {
    name: 'ledger entries',
    commitTimeoutMs: SETTLE_TIMEOUT_MS,
    timeoutError: storeDown,
    ...store.ledger.writeConcurrency, // several batches in flight on PostgreSQL (see LedgerRepo.writeConcurrency)
  });
  // What only --redis uses (ioredis and the shared books) is imported only then.
  const sharedCredits = options.redisUrl
    ? new (await import('./metering/shared-credits.js')).SharedCreditBook(ledgerWriter, options.redisUrl, options.redisPrefix)
    : undefined;
  const credits: CreditBook = sharedCredits ?? new CreditBook(ledgerWriter);
  await sharedCredits?.start();
  await store.ledger.pruneIdempotency(Date.now() - IDEMPOTENCY_TTL_MS - 3_600_000);
  const probe = new StoreProbe(() => store.ledger.ping());
  probe.start();
  await loadCredits(store, credits);
  const keys = new KeyDirectory(store.keys, options.masterKey, options.keyRefreshMs);
  keys.onDiscover = (record) => loadAccountCredits(store, credits, record);
  let createdAdminKey: string | undefined;
  if (!options.masterKey && (await store.keys.countActiveAdmins()) === 0) {
    createdAdminKey = (await store.keys.create({ name: 'admin', isAdmin: true })).key;
  }
  await keys.load();
  keys.start((error) => logger.warn('refreshing keys failed; using the last snapshot', { error: String(error) }));
  const lineage = new LineageDirectory(store.lineage, options.lineageRefreshMs);
  await lineage.load();
  lineage.start((error) => logger.warn('reloading the lineage graph failed; using the last one', { error: String(error) }));
  const retired = new Set<ProviderAdapter>();
  let installed: ((next: CatalogSnapshot) => void) | undefined;
  const refresher = new CatalogRefresher({
    repo: store.catalog,
    rebuild: options.rebuildConfig ?? (() => options.config),
    install: (next, previous) => {
      installed?.(next);
      for (const adapter of next.retiredFrom(previous)) {
        retired.add(adapter);
        setTimeout(() => {
          if (retired.delete(adapter)) void adapter.close();
        }, RETIRE_AFTER_MS).unref();
      }
    },
    logger,
    intervalMs: options.config.catalogRefreshMs,
  });
  const catalog = await refresher.initial();
  for (const warning of catalog.config.warnings) logger.warn('catalog', { warning });
  // In-process models load now (seconds, once), so a missing runtime or file stops the start with its reason.
  for (const provider of catalog.config.providers.values()) {
    if (provider.type === 'local' && provider.enabled) await (catalog.adapterFor(provider.id) as LocalAdapter).load();
  }
  const routing = options.config.routing;
  const health =
    options.health ??
    new HealthRegistry({
      ejectionBaseMs: routing.ejectionBaseMs,
      ejectionMaxMs: routing.ejectionMaxMs,
      consecutiveFailures: routing.consecutiveFailures,
      windowSize: 20,
      minRequestsForRate: 10,
      failureRate: 0.5,
      outageWindowMs: 30_000,
    });
  const planner = new Planner(catalog, health, new StickyRoutes(routing.stickyTtlMs));
  const verifications = new VerificationDirectory(store.evals, (map) => planner.useVerifications(map), options.keyRefreshMs);
  await verifications.load();
  verifications.start((error) => logger.warn('reloading host verifications failed; using the last ones', { error: String(error) }));
  const shared = options.redisUrl
    ? new (await import('./routing/shared-health.js')).SharedHealth(options.redisUrl, health, logger, options.redisPrefix)
    : undefined;
  await shared?.start();
  const localLimiter = new LocalLimiter();
  const sharedLimiter = options.redisUrl ? new SharedLimiter(options.redisUrl, localLimiter, options.redisPrefix) : undefined;
  await sharedLimiter?.start();
  // Rankings: each batch's rollups are added in the batch's own transaction (author countries from the catalog of the moment).
  let countryOf: CountryOf = (author) => catalog.config.authors.get(author)?.country;
  const sink = new BatchWriter<NewGeneration>(
    (rows) => store.generations.insertMany(rows, (inserted) => rollupDeltas(inserted, countryOf)),
    logger,
    {
      name: 'generation records',
      intervalMs: options.sinkIntervalMs ?? 50,
    },
  );
  const auditWriter = new BatchWriter<NewAuditRow>((rows) => store.policies.insertAudit(rows), logger, {
    name: 'policy audit',
    intervalMs: options.sinkIntervalMs ?? 50,
  });
  const governance = new Governance({
    configured: options.config.policies,
    regions,
    snapshot: () => gateway.catalog,
    audit: (row) => auditWriter.enqueue(row),
    store: store.policies,
    refreshMs: settings.refreshMs,
    logger,
  });
  await governance.load();
  governance.start();
  const telemetry = new Telemetry(options.config.telemetry, logger);
  await telemetry.start(options.config.telemetry);
  const state = { draining: false, inFlight: 0, startedAt: Date.now() };
  const lifecycle: LifecycleParts = {
    governance,
    planner,
    budget: new RetryBudget(),
    maxAttempts: routing.maxAttempts,
    sink,
    credits,
    ledgerWriter,
    storeHealth: probe,
    limiter: sharedLimiter ?? localLimiter,
    idempotency: new IdempotencyStore((keyId, key) => store.ledger.findIdempotency(keyId, key)),
    logger,
    telemetry,
    alone: () => state.inFlight <= 1,
  };
  const responses = new ResponseStore(
    new BatchWriter<NewStoredResponse>((rows) => store.responses.insertMany(rows), logger, {
      name: 'stored responses',
      intervalMs: options.sinkIntervalMs ?? 50,
    }),
    store.responses,
  );
  const gateway: Gateway = {
    ...lifecycle,
    responses,
    lineage,
    config: options.config,
    catalog,
    keys,
    lifecycle,
    admin: {
      findGeneration: (id) => store.generations.findById(id),
      listGenerations: (query) => store.generations.list(query),
      listKeys: () => store.keys.list(),
      findKey: (id) => store.keys.findById(id),
      createKey: (input) => store.keys.create(input),
      updateKey: (id, changes) => store.keys.update(id, changes),
      disableKey: (id) => store.keys.disable(id),
      findAccount: (id) => store.keys.findAccount(id),
      postLedgerEntry: (entry) => store.ledger.insertOne(entry),
      accountTotals: (id) => store.ledger.totals(id),
      rollups: store.rollups,
      policies: store.policies,
      catalogEntries: (source) => store.catalog.ofSource(source),
      putCatalogEntry: async (row) => {
        await store.catalog.apply([row], []);
      },
    },
    auditWriter,
    verifications,
    evals: store.evals,
    refreshCatalog: () => refresher.refresh(),
    state,
  };
  installed = (next) => {
    gateway.catalog = next;
    planner.use(next);
    countryOf = (author) => next.config.authors.get(author)?.country;
  };
  telemetry.attach({
    health,
    writers: { ledger: ledgerWriter, records: sink, audit: auditWriter },
    inFlight: () => state.inFlight,
    providerUrl: (id) => gateway.catalog.config.providers.get(id)?.baseUrl,
  });
  const pruner = startPruner(store, options.config.recordsRetentionDays, logger);
  refresher.start();
  const server = createHttpServer({ settings: options.config.server, logger, state: gateway.state, errorShapeFor }, dispatcher(gateway));
  const host = options.host ?? options.config.server.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? options.config.server.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = options.config.server.shutdownGraceMs): Promise<void> => {
    refresher.stop();
    clearInterval(pruner);
    stopping ??= stop(gateway, server, store, graceMs, retired).finally(() => {
      sharedLimiter?.close();
      sharedCredits?.close();
      return shared?.close();
    });
    return stopping;
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    gateway,
    store,
    server,
    createdAdminKey,
    refreshCatalog: () => refresher.refresh(),
    shutdown,
  };
}

async function stop(gateway: Gateway, server: Server, store: Store, graceMs: number, retired: Set<ProviderAdapter>): Promise<void> {
  const { state, logger } = gateway;
  state.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await whenIdle(state, server, graceMs);
  if (state.inFlight > 0) {
    // Grace is over. Requests still running end now as a client disconnect would, but cleanly:
    // a stream gets an error chunk and [DONE], is charged for what it delivered and recorded.
    logger.warn('grace period over; ending the requests still running', { in_flight: state.inFlight });
    endRunning(server);
    await whenIdle(state, server, SETTLE_TIMEOUT_MS + 1_000);
  }
  server.closeAllConnections();
  await closed;
  gateway.keys.stop();
  gateway.lineage.stop();
  gateway.storeHealth.stop();
  gateway.lifecycle.governance.stop();
  gateway.verifications.stop();
  await gateway.ledgerWriter.close();
  await gateway.auditWriter.close();
  await gateway.sink.close();
  await gateway.responses.close();
  await gateway.lifecycle.telemetry.close();
  await gateway.catalog.close();
  await Promise.allSettled([...retired].map((adapter) => adapter.close()));
  retired.clear();
  await store.close();
}

/** Resolves when no request is in flight, or after `limitMs`; keep-alive connections that fall idle meanwhile are closed. */
function whenIdle(state: Gateway['state'], server: Server, limitMs: number): Promise<void> {
  if (state.inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    const done = (): void => {
      clearTimeout(timer);
      clearInterval(sweep);
      state.onIdle = undefined;
      resolve();
    };
    const timer = setTimeout(done, limitMs);
    state.onIdle = done;
  });
}

/** Keeps generation records `retentionDays` (rollups are kept for ever): prunes at start and then hourly, in slices. */
function startPruner(store: Store, retentionDays: number | undefined, logger: Logger): NodeJS.Timeout | undefined {
  if (retentionDays === undefined) return undefined;
  const prune = async (): Promise<void> => {
    const before = Date.now() - retentionDays * 86_400_000;
    let removed = 0;
    for (
      let slice = await store.generations.pruneBefore(before, 5_000);
      slice > 0;
      slice = await store.generations.pruneBefore(before, 5_000)
    ) {
      removed += slice;
    }
    if (removed > 0) logger.info('pruned generation records past their retention', { removed, retention_days: retentionDays });
  };
  const run = (): void =>
    void prune().catch((error: unknown) => logger.warn('pruning generation records failed', { error: String(error) }));
  run();
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  return timer;
}
