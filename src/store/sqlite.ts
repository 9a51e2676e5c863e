/** SQLite wiring (better-sqlite3): WAL, so a kill -9 loses no committed transaction (SQLite docs, "WAL mode"). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from './kysely.js';

/**
 * The size a WAL file is cut back to when it restarts after a complete checkpoint. SQLite reuses
 * the WAL from its beginning but never shrinks the file on its own: a burst of load (82 MB in one
 * bench:peers run) would otherwise stay on disk for the life of the database.
 */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

export function sqliteDialect(path: string): { dialect: SqliteDialect; database: BetterSqlite3.Database } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // Checkpoints run in a worker (sqlite-checkpoint.ts); this is only the backstop if it falls behind.
  if (path !== ':memory:') database.pragma('wal_autocheckpoint = 20000');
  database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return { dialect: new SqliteDialect({ database }), database };
}
