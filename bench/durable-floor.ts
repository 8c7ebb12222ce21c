/**
 * The floor of a durable webhook queue on SQLite, as a reference for the engine's drain: claim a
 * batch and mark it in flight in one transaction, send each with the engine's own sender and
 * headers, record each attempt (state + attempt row) in group commits of up to 64. Everything on
 * the calling thread; no leases, hosts, circuits, retry policy, lanes, metrics or API. What the
 * engine spends beyond this is the price of those.
 */
import Database from "better-sqlite3";
import type { WebhookSender } from "../src/delivery/sender.ts";
import { deliveryHeaders } from "../src/delivery/worker.ts";

const SCHEMA = `
  CREATE TABLE deliveries (id TEXT PRIMARY KEY, url TEXT NOT NULL, state TEXT NOT NULL,
    next_attempt_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, locked_until INTEGER);
  CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
  CREATE TABLE bodies (delivery_id TEXT PRIMARY KEY, body TEXT NOT NULL);
  CREATE TABLE attempts (id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL, started_at INTEGER NOT NULL,
    status_code INTEGER, latency_ms INTEGER NOT NULL);
  CREATE INDEX attempts_delivery ON attempts (delivery_id, id);`;

/** the engine's pump: claims once this many slots are free, and this many ahead of a free slot */
const BATCH = 16;
const RECORD_BATCH = 64;
const RECORD_DELAY_MS = 3;
const RETRY_MS = 1000;

type Claimed = [rowid: number, id: string, url: string, body: string];

/** The engine's own headers of an unsigned first attempt (the engines run here without signing secrets). */
export const firstAttemptHeaders = (id: string, url: string, body: string, now: number) =>
  deliveryHeaders(
    { id, url, event: "transcriptDelivered", body, authHeaderName: null, authHeaderValue: null },
    1,
    [],
    now,
  );

export function openFloorQueue(file: string) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(SCHEMA);
  let seq = 0;
  const q = {
    insert: db.prepare(
      `INSERT INTO deliveries (id, url, state, next_attempt_at) VALUES (?, ?, 'pending', ?)`,
    ),
    insertBody: db.prepare(`INSERT INTO bodies (delivery_id, body) VALUES (?, ?)`),
    due: db
      .prepare(
        `SELECT d.rowid, d.id, d.url, b.body FROM deliveries d JOIN bodies b ON b.delivery_id = d.id
         WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
      )
      .raw(),
    mark: db.prepare(`UPDATE deliveries SET state = 'delivering', locked_until = ? WHERE rowid = ?`),
    settle: db.prepare(
      `UPDATE deliveries SET state = ?, next_attempt_at = ?, attempts = attempts + 1, locked_until = NULL WHERE rowid = ?`,
    ),
    attempt: db.prepare(
      `INSERT INTO attempts (delivery_id, started_at, status_code, latency_ms) VALUES (?, ?, ?, ?)`,
    ),
  };
  const claim = db.transaction((limit: number, now: number) => {
    const rows = q.due.all(now, limit) as Claimed[];
    for (const r of rows) q.mark.run(now + 60_000, r[0]);
    return rows;
  });
  type Done = [rowid: number, id: string, startedAt: number, status: number | null, latencyMs: number];
  const record = db.transaction((done: Done[], now: number) => {
    for (const [rowid, id, startedAt, status, latencyMs] of done) {
      const ok = status !== null && status >= 200 && status < 300;
      q.settle.run(ok ? "delivered" : "pending", ok ? now : now + RETRY_MS, rowid);
      q.attempt.run(id, startedAt, status, latencyMs);
    }
  });

  return {
    enqueue: db.transaction((n: number, url: string, body: string) => {
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const id = `floor-${seq++}`;
        q.insert.run(id, url, now);
        q.insertBody.run(id, body);
      }
    }),
    /** Sends every due delivery, `inFlight` at a time; resolves once the last attempt is recorded. */
    drain(send: WebhookSender, inFlight: number): Promise<void> {
      return new Promise((resolve, reject) => {
        let ready: Claimed[] = [];
        let running = 0;
        let done: Done[] = [];
        let timer: NodeJS.Timeout | undefined;
        const flush = () => {
          clearTimeout(timer);
          timer = undefined;
          const batch = done;
          done = [];
          if (batch.length > 0) record(batch, Date.now());
        };
        const start = ([rowid, id, url, body]: Claimed) => {
          running++;
          const startedAt = Date.now();
          const headers = firstAttemptHeaders(id, url, body, startedAt);
          send({ url, body, headers, timeoutMs: 30_000 }).then((o) => {
            running--;
            done.push([rowid, id, startedAt, o.statusCode, o.latencyMs]);
            if (done.length >= RECORD_BATCH) flush();
            else timer ??= setTimeout(flush, RECORD_DELAY_MS);
            fill();
          }, reject);
        };
        const fill = () => {
          const room = inFlight + BATCH - running - ready.length;
          if (room >= BATCH) ready = ready.concat(claim(room, Date.now()));
          while (running < inFlight && ready.length > 0) start(ready.shift()!);
          if (running === 0 && ready.length === 0) {
            flush();
            resolve();
          }
        };
        fill();
      });
    },
    close: () => db.close(),
  };
}
