import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from './sqlite-checkpoint.js';
import { WAL_SIZE_LIMIT_BYTES, sqliteDialect } from './sqlite.js';

function walDatabase(): { path: string; db: Database.Database } {
  const path = join(mkdtempSync(join(tmpdir(), 'agora-checkpoint-')), 'a.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0'); // only the checkpointer may shrink the WAL here
  db.exec('create table t (id integer primary key, v text)');
  return { path, db };
}

const walBytes = (path: string): number => statSync(`${path}-wal`).size;
/** The WAL header's checkpoint sequence number: it changes each time the WAL restarts after a complete checkpoint. */
const walSequence = (path: string): number => readFileSync(`${path}-wal`).readUInt32BE(12);

describe('SQLite checkpointer', () => {
  it('starts its worker only once the WAL has grown past the threshold, then keeps the WAL from growing', async () => {
    const { path, db } = walDatabase();
    const checkpointer = new SqliteCheckpointer(path, 50, 256 * 1024);
    try {
      db.prepare('insert into t (v) values (?)').run('small');
      expect(walBytes(path)).toBeLessThan(256 * 1024);
      expect(checkpointer.check(256 * 1024)).toBe(false);
      expect(checkpointer.started).toBe(false);

      const insert = db.prepare('insert into t (v) values (?)');
      const many = db.transaction(() => {
        for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(200));
      });
      many();
      expect(walBytes(path)).toBeGreaterThanOrEqual(256 * 1024);
      expect(checkpointer.check(256 * 1024)).toBe(true);
      expect(checkpointer.started).toBe(true);

      // the worker's PASSIVE checkpoint copies the WAL into the database; the next write then
      // restarts the WAL from its beginning (a new checkpoint sequence number), so it stops growing
      const sequence = walSequence(path);
      const size = walBytes(path);
      await checkpointer.nextCheckpoint();
      insert.run('after');
      expect(walSequence(path)).not.toBe(sequence);
      expect(walBytes(path)).toBe(size);
      expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(2_002);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('closes cleanly when its worker never started', async () => {
    const { path, db } = walDatabase();
    const checkpointer = new SqliteCheckpointer(path, 50);
    expect(checkpointer.started).toBe(false);
    await checkpointer.close();
    expect(checkpointer.started).toBe(false);
    db.close();
  });

  it("cuts a WAL that a burst grew past the limit back to it once checkpointed (the gateway's own connection)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agora-checkpoint-')), 'a.db');
    const { database: db } = sqliteDialect(path);
    db.pragma('wal_autocheckpoint = 0'); // only the checkpointer may checkpoint here
    db.exec('create table t (id integer primary key, v text)');
    const insert = db.prepare('insert into t (v) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 6_000; i++) insert.run('x'.repeat(3_000));
    })();
    expect(walBytes(path)).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
    const checkpointer = new SqliteCheckpointer(path, 50, 0);
    try {
      await checkpointer.nextCheckpoint();
      insert.run('after'); // the WAL restarts here, and is cut back
      expect(walBytes(path)).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
      expect((db.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(6_001);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });
});
