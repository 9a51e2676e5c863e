/** PostgreSQL wiring (node-postgres). In the URL, `?schema=NAME` selects a schema (created if missing) and `prepare=false` runs the batch inserts unnamed. */
import pg from 'pg';
import { PostgresDialect } from './kysely.js';
import { preparedName } from './pg-batch.js';

const INT8_OID = 20;

export interface PostgresTarget {
  connectionString: string;
  schema: string | undefined;
  /** Batch inserts as named statements (default); `?prepare=false` for a pooler that cannot keep them (PgBouncer in transaction mode before 1.21). */
  prepare: boolean;
}

export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const prepare = parsed.searchParams.get('prepare') ?? 'true';
  parsed.searchParams.delete('prepare');
  if (prepare !== 'true' && prepare !== 'false') {
    throw new Error(`invalid prepare=${prepare} in the database URL: expected true or false`);
  }
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`invalid schema name "${schema}" in the database URL: expected lower-case letters, digits and _`);
  }
  return { connectionString: parsed.toString(), schema, prepare: prepare === 'true' };
}

/**
 * A connection that runs the batch inserts as named statements (pg-batch.ts, preparedQuery):
 * Kysely calls `query(text, parameters)`; a text with a prepared name goes as `{ name, text, values }`,
 * which node-postgres parses once per connection and afterwards only binds and executes.
 */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' ? preparedName(text) : undefined;
    const call = super.query as (...given: unknown[]) => never;
    return name === undefined ? call.apply(this, args) : call.call(this, { name, text, values });
  }
}

export function postgresDialect(target: PostgresTarget): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({
    ...(target.prepare ? { Client: PreparingClient } : {}),
    connectionString: target.connectionString,
    max: 10,
    connectionTimeoutMillis: 5_000,
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
    // bigint columns hold epoch milliseconds and nanodollars: both well inside 2^53.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // A connection that dies (the database restarts, the network drops) must not crash the process:
  // idle clients report through the pool, busy ones through their own 'error' event; the failing
  // query rejects either way and the pool opens a new connection for the next one.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return { dialect: new PostgresDialect({ pool }), pool };
}

export async function ensureSchema(target: PostgresTarget): Promise<void> {
  if (!target.schema) return;
  const client = new pg.Client({ connectionString: target.connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`create schema if not exists "${target.schema}"`);
  } finally {
    await client.end();
  }
}
