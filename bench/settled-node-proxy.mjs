// node_settled: the plain undici proxy (bench/minimal-node-proxy.mjs, node_min) plus the one rule of
// contracts.md that no gateway keeping it can skip: an answer's last byte waits for its charge's
// group commit, and nothing before the first byte waits on the database. Every answer posts one
// ledger row (Agora's ledger_entries shape and index, SQLite in WAL mode with Agora's pragmas) to a
// group commit written when the event loop turns (at once when it is the only request in flight,
// as Agora does); the upstream's bytes are forwarded as they come except the tail, which leaves with
// the end once the commit is done: an event stream's `data: [DONE]` terminator, a JSON answer's last
// chunk (when it is the first, all of it but its last byte). No auth, routing, parsing, pricing or
// records: the floor under the contract, to read Agora's figures against.
//   PORT=18091 UPSTREAM=http://127.0.0.1:18080 DB=/tmp/settled.db node bench/settled-node-proxy.mjs
import http from 'node:http';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool, util } from 'undici';
import { strip } from './hop-headers.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: PORT=18091 UPSTREAM=http://127.0.0.1:18080 DB=FILE node bench/settled-node-proxy.mjs
  node_min plus the settlement rule: each answer's last byte waits for the group commit of its one
  ledger row (SQLite, WAL); bench:peers runs it as node_settled, the floor under the contract.
  Environment: PORT (default 18091; 0 picks a free one, printed), HOST (default 127.0.0.1),
  UPSTREAM (default http://127.0.0.1:18080), DB (default a fresh file in the temp folder, removed
  first), POOL_CONNECTIONS (default 128).`);
  process.exit(0);
}
const PORT = Number(process.env.PORT ?? 18091);
const HOST = process.env.HOST ?? '127.0.0.1';
const DB = process.env.DB ?? join(tmpdir(), `settled-${process.pid}.db`);
for (const suffix of ['', '-wal', '-shm']) rmSync(DB + suffix, { force: true });

const db = new Database(DB);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 20000');
db.exec(`create table ledger_entries ("id" text primary key, "account_id" text not null, "key_id" text, "kind" text not null,
  "amount" bigint not null, "generation_id" text, "upstream_id" text, "model" text, "provider" text, "note" text,
  "created_at" bigint not null)`);
db.exec('create index ledger_account on ledger_entries (account_id)');
const insert = db.prepare('insert into ledger_entries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing');
const commitAll = db.transaction((rows) => {
  for (const row of rows) insert.run(row);
});

/** Rows waiting for the next group commit, and what to do once each is committed. */
let queued = [];
let done = [];
let scheduled = false;
let inFlight = 0;
let sequence = 0;
function commitNow() {
  scheduled = false;
  const rows = queued;
  const after = done;
  queued = [];
  done = [];
  commitAll(rows);
  for (const callback of after) callback();
}
function charge(callback) {
  const id = `gen-${Date.now().toString(36)}${(++sequence).toString(36).padStart(6, '0')}`;
  queued.push([`charge:${id}`, 'acct_bench', 'key_bench', 'charge', -1000, id, null, 'bench', 'upstream', null, Date.now()]);
  done.push(callback);
  if (inFlight === 1) return commitNow(); // the only request: no one to batch with
  if (!scheduled) {
    scheduled = true;
    setImmediate(commitNow);
  }
}

const pool = new Pool(process.env.UPSTREAM ?? 'http://127.0.0.1:18080', {
  connections: Number(process.env.POOL_CONNECTIONS ?? 128),
  keepAliveTimeout: 60_000,
});

const DONE = Buffer.from('data: [DONE]');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    inFlight++;
    let held;
    let wrote = false;
    let sse = false;
    pool.dispatch(
      { path: req.url, method: req.method, headers: strip(req.headers), body: chunks.length ? Buffer.concat(chunks) : undefined },
      {
        onConnect() {},
        onHeaders(statusCode, rawHeaders) {
          const headers = strip(util.parseHeaders(rawHeaders));
          sse = headers['content-type']?.startsWith('text/event-stream') === true;
          res.writeHead(statusCode, headers);
          return true;
        },
        onData(chunk) {
          if (sse) {
            // An event stream's frames pass at once; its terminator (and anything after it) is the tail.
            if (held !== undefined) {
              held = Buffer.concat([held, chunk]);
              return true;
            }
            const at = chunk.indexOf(DONE);
            if (at !== 0) {
              res.write(at < 0 ? chunk : chunk.subarray(0, at));
              wrote = true;
            }
            if (at >= 0) held = chunk.subarray(at);
            return true;
          }
          // Any other answer: each chunk waits for the next; the last one is the tail.
          if (held !== undefined) {
            res.write(held);
            wrote = true;
          }
          held = chunk;
          return true;
        },
        onComplete() {
          let last = held;
          if (!wrote && last !== undefined && last.length > 1) {
            res.write(last.subarray(0, -1)); // the first bytes leave now, with the headers
            last = last.subarray(-1);
          }
          charge(() => {
            inFlight--;
            res.end(last);
          });
        },
        onError(err) {
          inFlight--;
          if (res.headersSent) return res.destroy(err);
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `upstream error: ${err.code ?? err.message}` } }));
        },
      },
    );
  });
});
server.keepAliveTimeout = 120_000;
server.listen(PORT, HOST, () => console.log(`settled-node-proxy on http://${HOST}:${server.address().port}`));
for (const s of ['SIGTERM', 'SIGINT'])
  process.on(s, () => {
    server.close();
    pool.close();
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(DB + suffix, { force: true });
    process.exit(0);
  });
