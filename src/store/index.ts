/**
 * Opens the store named by a database URL — `sqlite:PATH`, `sqlite::memory:` or `postgres://…` —
 * runs the migrations, and hands out the repositories. The request path never imports this.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator } from './kysely.js';
import type { Database } from './database.js';
import { migrationProvider } from './migrations/index.js';
import { CatalogRepo } from './repos/catalog.js';
import { GenerationsRepo } from './repos/generations.js';
import { RollupsRepo } from './repos/rollups.js';
import { PoliciesRepo } from './repos/policies.js';
import { EvalsRepo } from './repos/evals.js';
import { KeysRepo } from './repos/api-keys.js';
import { LedgerRepo } from './repos/ledger.js';
import { LineageRepo } from './repos/lineage.js';
import { ResponsesRepo } from './repos/responses.js';
import { sqliteDialect } from './sqlite.js';
import { SqliteCheckpointer } from './sqlite-checkpoint.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface Store {
  dialect: StoreDialect;
  /** The URL with any password masked, for logs. */
  label: string;
  db: Kysely<Database>;
  keys: KeysRepo;
  generations: GenerationsRepo;
  ledger: LedgerRepo;
  responses: ResponsesRepo;
  catalog: CatalogRepo;
  rollups: RollupsRepo;
  policies: PoliciesRepo;
  evals: EvalsRepo;
  /** The model lineage graph (base → derivative), imported by `agora lineage import`. */
  lineage: LineageRepo;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./agora.db';

export function maskDatabaseUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export async function openStore(url: string = DEFAULT_DATABASE_URL): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: StoreDialect;
  let raw: BetterSqlite3.Database | undefined;
  let checkpointer: SqliteCheckpointer | undefined;
  /** Kysely looks for its migration tables in every schema unless told which: name ours. */
  let migrationTableSchema: string | undefined;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('the database URL "sqlite:" needs a path, e.g. sqlite:./agora.db or sqlite::memory:');
    const sqlite = sqliteDialect(path);
    db = new Kysely<Database>({ dialect: sqlite.dialect });
    raw = sqlite.database;
    dialect = 'sqlite';
    if (path !== ':memory:') checkpointer = new SqliteCheckpointer(path);
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    // pg is loaded only for a PostgreSQL URL.
    const { ensureSchema, parsePostgresUrl, postgresDialect } = await import('./postgres.js');
    const target = parsePostgresUrl(url);
    await ensureSchema(target);
    migrationTableSchema = target.schema ?? 'public';
    db = new Kysely<Database>({ dialect: postgresDialect(target).dialect });
    dialect = 'postgres';
  } else {
    throw new Error(`unsupported database URL "${maskDatabaseUrl(url)}": expected sqlite:PATH, sqlite::memory: or postgres://…`);
  }
  try {
    const { error } = await new Migrator({
      db,
      provider: migrationProvider,
      // Kysely's default, localeCompare, sets up an ICU collator on first use (~10 ms of every
      // start); the names are ASCII ('0001-init', …), so code-unit order is the same order.
      nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      ...(migrationTableSchema ? { migrationTableSchema } : {}),
    }).migrateToLatest();
    if (error) throw error;
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const rollups = new RollupsRepo(db, raw);
  return {
    dialect,
    rollups,
    policies: new PoliciesRepo(db),
    evals: new EvalsRepo(db),
    label: maskDatabaseUrl(url),
    db,
    keys: new KeysRepo(db),
    generations: new GenerationsRepo(db, rollups, raw),
    ledger: new LedgerRepo(db, raw),
    responses: new ResponsesRepo(db),
    catalog: new CatalogRepo(db),
    lineage: new LineageRepo(db, raw),
    close: async () => {
      await db.destroy();
      await checkpointer?.close();
    },
  };
}
