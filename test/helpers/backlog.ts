/**
 * Pending retries (one attempt spent, due at `at`) written straight into a store's database, many
 * at a time: the backlogs of the claim-cost tests and benchmarks. The rows have no body; they are
 * not meant to be sent.
 */
import type Database from "better-sqlite3";
import type pg from "pg";
import { hostOf } from "../../src/store/types.ts";

export interface Backlog {
  /** row ids are prefix + 1..n */
  prefix: string;
  n: number;
  at: number;
  jobId: string;
  url: string;
}

export function insertSqliteBacklog(db: Database.Database, b: Backlog): void {
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO deliveries (id, job_id, event, url, host, policy, state, attempts_in_series,
       next_attempt_at, created_at, updated_at)
     SELECT ? || i, ?, 'transcriptDelivered', ?, ?, 'makimoto', 'pending', 1, ?, 0, 0 FROM n`,
  ).run(b.n, b.prefix, b.jobId, b.url, hostOf(b.url), b.at);
}

/** Into both delivery tables (Postgres migration 008), then analyzed. */
export async function insertPostgresBacklog(db: pg.ClientBase, b: Backlog): Promise<void> {
  await db.query(
    `WITH item AS (
       INSERT INTO delivery_items (id, job_id, event, url, policy, body, created_at)
       SELECT $1 || i, $2, 'transcriptDelivered', $3, 'makimoto', '{}', 0 FROM generate_series(1, $4::int) AS i
       RETURNING id, seq
     )
     INSERT INTO delivery_states (id, seq, host, state, attempts_in_series, next_attempt_at, updated_at)
     SELECT id, seq, $5, 'pending', 1, $6, 0 FROM item`,
    [b.prefix, b.jobId, b.url, b.n, hostOf(b.url), b.at],
  );
  await db.query("ANALYZE delivery_items, delivery_states");
}
