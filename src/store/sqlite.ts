/**
 * SQLite implementation of `Store` (the embedded default): one file in WAL mode, one process.
 * better-sqlite3 is synchronous, so each method is one short statement or one immediate
 * transaction; claims need no row locks because only this process writes.
 */
import Database from "better-sqlite3";
import { loadMigrations, pendingMigrations } from "./migrate.ts";
import {
  JOB_LIST_COLUMNS,
  attemptFromRow,
  circuitFromRow,
  claimedFromValues,
  contentsFromValues,
  deliveryFromRow,
  deliveryInfoFromRow,
  expiredRow,
  jobFromRow,
  receiverStatsFromRows,
  recordToValues,
  ROUTING,
  type AttemptRecordValues,
  SENDABLE_JSON,
  sendableFromWire,
  sendableWire,
  type SendableWire,
} from "./rows.ts";
import type { ClaimOptions, JobOutcome, NewDelivery, NewJob, Store } from "./types.ts";
import { hostRoom, pickClaims } from "./pick-claims.ts";
import { BYTES_BODY_MIN } from "./thread-wire.ts";
import { hostOf, LeaseLostError } from "./types.ts";

type Row = Record<string, unknown>;

/** A delivery row with its body (kept in `delivery_bodies`, see migration 005). */
const jobInsertRow = (j: NewJob) => ({
  ...j,
  owner: j.owner ?? null,
  audioSeconds: j.audioSeconds ?? null,
  audioExpiresAt: j.audioExpiresAt ?? null,
  resultExpiresAt: j.resultExpiresAt ?? null,
  params: JSON.stringify(j.params),
});

/**
 * The ids of a JSON array @ids as rows, the first table of a join: SQLite evaluates
 * `x IN (SELECT value FROM json_each(@ids))` by building a temporary b-tree of the values each time.
 */
const EACH_ID = "json_each(@ids) AS ids";
/** the routing columns of `deliveries d` (json_each has an `id` column too) */
const D_ROUTING = ROUTING.map((c) => `d.${c}`).join(", ");

/** A body to send: large ones as their stored UTF-8 bytes, small ones as text (see BYTES_BODY_MIN) */
const BODY = `CASE WHEN octet_length(b.body) < ${BYTES_BODY_MIN} THEN b.body ELSE CAST(b.body AS BLOB) END`;

const FULL =
  "SELECT d.*, d.rowid AS seq, b.body FROM deliveries d JOIN delivery_bodies b ON b.delivery_id = d.id";
/** a delivery without its body (`DeliveryInfo`: listings) */
const INFO = "SELECT d.*, d.rowid AS seq FROM deliveries d";

/** Attempts started in [@since, @now) with their host and whether they got a 2xx (@owner: only theirs). */
const ATTEMPTS_IN_WINDOW = `SELECT coalesce(a.url_host, d.host) AS host, a.latency_ms AS ms, a.started_at,
    CASE WHEN a.status_code >= 200 AND a.status_code < 300 THEN 1 ELSE 0 END AS ok
  FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
  WHERE a.started_at >= @since AND a.started_at < @now
    AND (@owner IS NULL OR d.job_id IN (SELECT id FROM jobs WHERE owner = @owner))`;

export interface SqliteStoreOptions {
  /** NORMAL (default) survives a process crash; FULL also survives power loss */
  synchronous?: "NORMAL" | "FULL";
}

/** The SQLite store, with the forms its thread sends across (`thread-wire.ts`). */
export interface SqliteStore extends Store {
  claimSendableWire(now: number, limit: number, opts?: ClaimOptions): Promise<SendableWire>;
  /** `recordAttempts` with each record as `recordToValues` gives it */
  recordAttemptValues(batch: AttemptRecordValues[], now: number, workerId?: string | null): Promise<number>;
}

export function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): SqliteStore {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${opts.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.pragma("wal_autocheckpoint = 10000");
  migrate(db);

  const q = {
    insertJob: db.prepare(
      `INSERT INTO jobs (id, kind, status, call_uuid, params, audio_name, created_at, updated_at, owner, audio_seconds,
         audio_expires_at, result_expires_at)
       VALUES (@id, @kind, 'queued', @callUuid, @params, @audioName, @now, @now, @owner, @audioSeconds,
         @audioExpiresAt, @resultExpiresAt)`,
    ),
    listJobs: db.prepare(
      `SELECT ${JOB_LIST_COLUMNS} FROM jobs
       WHERE (@anyOwner OR owner IS @owner)
         AND (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status)
         AND (@lang IS NULL OR json_extract(params, '$.lang') = @lang)
         AND (@callUuid IS NULL OR call_uuid = @callUuid) AND (@jobId IS NULL OR id = @jobId)
         AND (@after IS NULL OR created_at > @after)
         AND (@beforeAt IS NULL OR created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))
       ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ),
    deleteJob: db.prepare(
      `UPDATE jobs SET result = NULL, deleted_at = @now, updated_at = @now, audio_name = NULL,
         params = json_remove(params, '$.source.text', '$.source.items')
       WHERE id = @id AND deleted_at IS NULL`,
    ),
    emptyBodies: db.prepare(
      `UPDATE delivery_bodies SET body = '' WHERE delivery_id IN (SELECT id FROM deliveries WHERE job_id = @id)`,
    ),
    abandonPending: db.prepare(
      `UPDATE deliveries SET state = 'abandoned', next_attempt_at = NULL, updated_at = @now
       WHERE job_id = @id AND state = 'pending'`,
    ),
    expiredAudio: db.prepare(
      `SELECT id, audio_name FROM jobs
       WHERE audio_name IS NOT NULL AND audio_expires_at <= @now AND status IN ('succeeded', 'failed')
       ORDER BY audio_expires_at LIMIT @limit`,
    ),
    expiredData: db.prepare(
      `SELECT id, audio_name FROM jobs
       WHERE deleted_at IS NULL AND result_expires_at <= @now AND status IN ('succeeded', 'failed')
       ORDER BY result_expires_at LIMIT @limit`,
    ),
    forgetAudio: db.prepare(`UPDATE jobs SET audio_name = NULL WHERE id = ?`),
    usage: db.prepare(
      `SELECT coalesce(sum(audio_seconds), 0) AS s FROM jobs
       WHERE (@anyOwner OR owner IS @owner) AND created_at >= @since AND audio_seconds IS NOT NULL`,
    ),
    getJob: db.prepare(`SELECT * FROM jobs WHERE id = ?`),
    countJobs: db.prepare(`SELECT count(*) AS n FROM jobs WHERE status = ?`),
    claimJob: db.prepare(
      `UPDATE jobs SET status = 'processing', started_at = @now, updated_at = @now, attempts = attempts + 1,
         locked_by = @workerId, locked_until = @until
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1)
       RETURNING *`,
    ),
    setProgress: db.prepare(
      `UPDATE jobs SET progress = @progress WHERE id = @id AND status = 'processing' AND locked_by = @workerId`,
    ),
    extendJobLease: db.prepare(
      `UPDATE jobs SET locked_until = @until
       WHERE id = @id AND status = 'processing' AND locked_by = @workerId`,
    ),
    finishJob: db.prepare(
      `UPDATE jobs SET status = @status, result = @result, error_code = @errorCode,
         error_message = @errorMessage, finished_at = @now, updated_at = @now, locked_by = NULL, locked_until = NULL,
         audio_seconds = coalesce(json_extract(@result, '$.metadata.audio_duration'), audio_seconds)
       WHERE id = @id AND (@workerId IS NULL OR (status = 'processing' AND locked_by = @workerId))`,
    ),
    expireJobs: db.prepare(
      `UPDATE jobs SET status = 'queued', started_at = NULL, updated_at = @now, locked_by = NULL, locked_until = NULL
       WHERE status = 'processing' AND coalesce(locked_until, 0) < @cutoff`,
    ),
    expireDeliveries: db.prepare(
      `UPDATE deliveries SET state = 'pending', next_attempt_at = @now, updated_at = @now,
         locked_by = NULL, locked_until = NULL
       WHERE state = 'delivering' AND coalesce(locked_until, 0) < @cutoff`,
    ),
    saveCircuit: db.prepare(
      `INSERT INTO host_circuits (host, state, failures, open_until, cooldown_ms, updated_at)
       VALUES (@host, @state, @failures, @openUntil, @cooldownMs, @updatedAt)
       ON CONFLICT (host) DO UPDATE SET state = excluded.state, failures = excluded.failures,
         open_until = excluded.open_until, cooldown_ms = excluded.cooldown_ms, updated_at = excluded.updated_at`,
    ),
    listCircuits: db.prepare(
      `SELECT * FROM host_circuits WHERE state <> 'closed' OR failures > 0 OR updated_at > @since`,
    ),
    inFlightByHost: db.prepare(
      `SELECT host, count(*) AS n FROM deliveries
       WHERE state = 'delivering' AND host IN (SELECT value FROM json_each(@hosts)) GROUP BY host`,
    ),
    contents: db
      .prepare(
        `SELECT d.id, ${BODY} AS body, d.auth_header_name, d.auth_header_value
         FROM ${EACH_ID} CROSS JOIN deliveries d CROSS JOIN delivery_bodies b
         WHERE d.id = ids.value AND b.delivery_id = d.id`,
      )
      .raw(),
    insertDelivery: db.prepare(
      `INSERT INTO deliveries (id, job_id, event, url, host, policy, auth_header_name, auth_header_value,
         state, next_attempt_at, created_at, updated_at)
       VALUES (@id, @jobId, @event, @url, @host, @policy, @authHeaderName, @authHeaderValue,
         'pending', @now, @now, @now)`,
    ),
    insertBody: db.prepare(`INSERT INTO delivery_bodies (delivery_id, body) VALUES (@id, @body)`),
    // a row claimTx picked, marked delivering under the lease, one statement per row: with
    // `rowid IN (…)` SQLite built two temporary b-trees per claim. Read back afterwards, not with
    // RETURNING: SQLite runs RETURNING as a trigger that stores each row in a temporary table
    // (8.3-11.2 µs per row with it, 5.6-9.3 with the read after; claimSendable reads the bodies anyway)
    markDelivering: db.prepare(
      `UPDATE deliveries SET state = 'delivering', updated_at = ?, locked_by = ?, locked_until = ? WHERE rowid = ?`,
    ),
    // what a claim took: routing columns as arrays (claimedFromValues), or as JSON beside the
    // body (SendableWire); each row ends with its place in the claim's ids (see `claim`)
    claimed: db
      .prepare(
        `SELECT ${D_ROUTING}, d.rowid AS seq, ids.key FROM ${EACH_ID} CROSS JOIN deliveries d WHERE d.rowid = ids.value`,
      )
      .raw(),
    sendable: db
      .prepare(
        `SELECT ${SENDABLE_JSON}, ${BODY} AS body, ids.key
         FROM ${EACH_ID} CROSS JOIN deliveries d CROSS JOIN delivery_bodies b
         WHERE d.rowid = ids.value AND b.delivery_id = d.id`,
      )
      .raw(),
    // the two statements of every recorded attempt take positional parameters: better-sqlite3 binds
    // named ones by looking each up on an object (10 of them: 3.2 -> 1.9 µs per INSERT)
    insertAttempt: db.prepare(
      `INSERT INTO delivery_attempts (delivery_id, series, attempt_no, started_at, latency_ms, status_code,
         error_class, error_detail, url_host, response_snippet)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateDelivery: db.prepare(
      `UPDATE deliveries SET state = ?, next_attempt_at = ?, attempts_in_series = ?,
         last_status_code = coalesce(?, last_status_code), updated_at = ?, locked_by = NULL,
         locked_until = NULL, force_send = 0
       WHERE id = ? AND series = ? AND (? IS NULL OR (state = 'delivering' AND locked_by = ?))`,
    ),
    releaseDeliveries: db.prepare(
      `UPDATE deliveries SET state = 'pending', updated_at = @now, locked_by = NULL, locked_until = NULL
       WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'delivering' AND locked_by = @workerId`,
    ),
    getDelivery: db.prepare(`${FULL} WHERE d.id = ?`),
    listDeliveries: db.prepare(
      `${INFO} WHERE (@state IS NULL OR d.state = @state) AND (@owner IS NULL OR d.job_id IN (SELECT id FROM jobs WHERE owner = @owner))
         AND (@host IS NULL OR d.host = @host) AND (@event IS NULL OR d.event = @event)
         AND (@since IS NULL OR d.created_at >= @since) AND (@until IS NULL OR d.created_at < @until)
       ORDER BY d.rowid DESC LIMIT @limit`,
    ),
    // receiver figures over a window of attempts (index delivery_attempts_started); percentiles
    // are nearest-rank: the smallest latency whose rank reaches p % of the host's attempts
    receiverSummary: db.prepare(
      `WITH a AS (${ATTEMPTS_IN_WINDOW}),
       r AS (SELECT host, ms, ok, row_number() OVER (PARTITION BY host ORDER BY ms) AS rn,
               count(*) OVER (PARTITION BY host) AS n FROM a)
       SELECT host, max(n) AS attempts, sum(ok) AS succeeded,
         min(CASE WHEN rn * 100 >= n * 50 THEN ms END) AS p50,
         min(CASE WHEN rn * 100 >= n * 99 THEN ms END) AS p99
       FROM r GROUP BY host`,
    ),
    receiverBuckets: db.prepare(
      `WITH a AS (${ATTEMPTS_IN_WINDOW})
       SELECT host, CAST((started_at - @since) / @bucketMs AS INTEGER) AS bucket, count(*) AS attempts, sum(ok) AS succeeded
       FROM a GROUP BY host, bucket`,
    ),
    pendingByHost: db.prepare(
      `SELECT host, count(*) AS n FROM deliveries
       WHERE state IN ('pending', 'delivering')
         AND (@owner IS NULL OR job_id IN (SELECT id FROM jobs WHERE owner = @owner))
       GROUP BY host`,
    ),
    forJob: db.prepare(`${INFO} WHERE d.job_id = ? ORDER BY d.rowid`),
    countByState: db.prepare(`SELECT count(*) AS n FROM deliveries WHERE state = ?`),
    events: db.prepare(
      `${FULL} WHERE d.rowid > @after AND (@owner IS NULL OR d.job_id IN (SELECT id FROM jobs WHERE owner = @owner)) ORDER BY d.rowid LIMIT @limit`,
    ),
    // in the order of index deliveries_created, so the read stops at the limit (`ORDER BY d.rowid`
    // sorted every match first: 100,000 matching, 35-45 → 1 ms)
    find: db.prepare(
      `${INFO}
       WHERE d.state = @state AND d.created_at >= @since AND d.created_at < @until
         AND (@host IS NULL OR d.host = @host)
         AND (@prefix IS NULL OR substr(d.url, 1, length(@prefix)) = @prefix)
         AND (@owner IS NULL OR d.job_id IN (SELECT id FROM jobs WHERE owner = @owner))
       ORDER BY d.created_at, d.rowid LIMIT @limit`,
    ),
    // index deliveries_created: the first delivery in time order, then the feed continues by seq
    seqSince: db.prepare(
      `SELECT rowid AS seq FROM deliveries WHERE created_at >= ? ORDER BY created_at, rowid LIMIT 1`,
    ),
    maxSeq: db.prepare(`SELECT coalesce(max(rowid), 0) AS seq FROM deliveries`),
    attempts: db.prepare(`SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`),
    restart: db.prepare(
      `UPDATE deliveries SET state = 'pending', series = series + 1, attempts_in_series = 0,
         next_attempt_at = @now, updated_at = @now, url = coalesce(@url, url), host = coalesce(@host, host),
         auth_header_name = CASE WHEN @setAuth THEN @authName ELSE auth_header_name END,
         auth_header_value = CASE WHEN @setAuth THEN @authValue ELSE auth_header_value END,
         force_send = @force
       WHERE id = @id AND state <> 'delivering'
       RETURNING id`,
    ),
  };

  const finishTx = db.transaction(
    (
      id: string,
      outcome: JobOutcome,
      delivery: NewDelivery | null,
      now: number,
      followUp: NewJob | null,
      workerId: string | null,
    ) => {
      const done = q.finishJob.run({
        id,
        now,
        workerId,
        status: outcome.status,
        result: outcome.status === "succeeded" ? JSON.stringify(outcome.result) : null,
        errorCode: outcome.status === "failed" ? outcome.errorCode : null,
        errorMessage: outcome.status === "failed" ? outcome.errorMessage : null,
      });
      if (done.changes !== 1) {
        if (q.getJob.get(id)) throw new LeaseLostError(`job ${id}`);
        throw new Error(`job ${id} not found`);
      }
      if (delivery) {
        q.insertDelivery.run({ ...delivery, host: hostOf(delivery.url), jobId: id, now });
        q.insertBody.run(delivery);
      }
      if (followUp) q.insertJob.run(jobInsertRow(followUp));
    },
  );

  // One statement per lane so each is a range on a partial index WHERE state = 'pending': rows come
  // in due order and the scan stops at the LIMIT, whatever the number of pending rows not yet due.
  // The LIMIT is an expression, not a bare parameter: SQLite's planner reads a bare one's value, so
  // each new value bound to it made SQLite prepare the statement again (every claim: 7.6 → 2.5 µs).
  // The index gives the order whatever the limit, so the plan is the same.
  type DueRow = [rid: number, host: string, force: number, nextAttemptAt: number];
  const byDue = (a: DueRow, b: DueRow) => a[3] - b[3] || a[0] - b[0];
  const lanes = { first: [0], retry: [1], any: [0, 1] } as const;
  const perLane = <T>(build: (lane: 0 | 1) => T) => [build(0), build(1)] as const;
  // The rows come back as arrays (an object per row cost more than the scan itself), all in one
  // JSON text: better-sqlite3 builds each row's array value by value through V8's API, and a claim
  // reads a window of twice its batch (engine alone, callgrind: the store thread's instructions
  // per delivery 145k → 137k).
  const due = (also: string) => {
    const statements = perLane((lane) =>
      db
        .prepare(
          `SELECT json_group_array(json_array(rowid, host, force_send, next_attempt_at)) FROM (
             SELECT rowid, host, force_send, next_attempt_at FROM deliveries
             WHERE state = 'pending' AND lane = ${lane} ${also} AND next_attempt_at <= @now
             ORDER BY next_attempt_at LIMIT CAST(@limit AS INTEGER))`,
        )
        .pluck(),
    );
    return perLane((lane) => ({
      // an aggregate's input order is not a documented promise; sorting rows in order is cheap
      all: (params: object) => (JSON.parse(statements[lane].get(params) as string) as DueRow[]).sort(byDue),
    }));
  };
  const dueWindow = due(""); // deliveries_due
  const hostHeads = due("AND host = @host"); // deliveries_host_due
  const forced = due("AND force_send = 1"); // deliveries_forced
  // every host with pending rows in the lane, one index step each (a skip scan of deliveries_host_due)
  const hostsWithPending = perLane((lane) =>
    db
      .prepare(
        `WITH RECURSIVE h(host) AS (
           SELECT min(host) FROM deliveries WHERE state = 'pending' AND lane = ${lane}
           UNION ALL
           SELECT (SELECT min(host) FROM deliveries WHERE state = 'pending' AND lane = ${lane} AND host > h.host)
           FROM h WHERE h.host IS NOT NULL
         ) SELECT host FROM h WHERE host IS NOT NULL`,
      )
      .pluck(),
  );
  const nextDue = perLane((lane) =>
    db.prepare(
      `SELECT min(next_attempt_at) AS t FROM deliveries
       WHERE state = 'pending' AND lane = ${lane} AND next_attempt_at > @after`,
    ),
  );

  /**
   * The window's rows, forced rows and the first rows of every host that was not in the window and
   * may take more, in due order. A host in the window had its first rows there: reading them again
   * cost a query per claim while one host at its cap crowded the window (the Postgres claim does
   * the same).
   */
  const pastWindow = (
    lane: 0 | 1,
    now: number,
    limit: number,
    window: DueRow[],
    room: (host: string) => number,
  ) => {
    const inWindow = new Set(window.map((r) => r[1]));
    const seen = new Set(window.map((r) => r[0]));
    const rows = window.concat(forced[lane].all({ now, limit }).filter((r) => !seen.has(r[0])));
    for (const host of hostsWithPending[lane].all() as string[]) {
      const n = inWindow.has(host) ? 0 : Math.min(room(host), limit);
      if (n > 0) rows.push(...hostHeads[lane].all({ now, host, limit: n }));
    }
    return rows.sort(byDue);
  };

  /**
   * Claim = one immediate transaction: pick due rows within each host's free slots, mark them
   * delivering, return their rowids. The rows come from a window of 2× the batch at the head of
   * the queue; when that window is full yet yields less than the batch (hosts at their cap or with
   * an open circuit crowd it), also from the first rows of every other host: one busy host delays
   * no other, and no claim scans past its backlog. Measured: bench/delivery.ts.
   */
  const claimTx = db.transaction((now: number, limit: number, opts: ClaimOptions) => {
    // one process owns the file: its own in-flight counts are the global ones
    const inFlight = new Map(Object.entries(opts.inFlight ?? {}));
    const pick = (rows: DueRow[]) =>
      pickClaims(
        rows.map(([rid, host, force]) => ({ rid, host, force: force === 1 })),
        limit,
        inFlight,
        opts,
      );
    const fromLane = (lane: 0 | 1) => {
      const window = dueWindow[lane].all({ now, limit: limit * 2 });
      const picked = pick(window);
      if (window.length < limit * 2 || picked.length === limit) return { rows: window, picked };
      const rows = pastWindow(lane, now, limit, window, hostRoom(limit, inFlight, opts));
      return { rows, picked: pick(rows) };
    };
    // one lane (the worker's claims): its picks; both lanes: picked again from their rows merged
    const picked = opts.lane
      ? fromLane(lanes[opts.lane][0]).picked
      : pick(lanes.any.flatMap((lane) => fromLane(lane).rows).sort(byDue));
    const ids = picked.map((r) => r.rid);
    const { workerId = null, until = null } = opts.lease ?? {};
    for (const id of ids) q.markDelivering.run(now, workerId, until, id);
    return ids;
  });
  /**
   * Claims, then reads what it claimed with `read` (one of the statements above), in the claim's
   * order, which is due order. Each row's last value is its place in `ids`: an ORDER BY made
   * SQLite copy every row, bodies included, into a temporary b-tree and back (a 50 KB body twice).
   */
  const claim = (read: Database.Statement, now: number, limit: number, opts: ClaimOptions) => {
    const ids = claimTx.immediate(now, limit, opts);
    if (ids.length === 0) return [];
    const rows = read.all({ ids: JSON.stringify(ids) }) as unknown[][];
    const inOrder: unknown[][] = new Array(ids.length);
    for (const row of rows) inOrder[row.at(-1) as number] = row;
    // a row whose content is gone is not there
    return rows.length === ids.length ? inOrder : inOrder.filter(Boolean);
  };
  const claimSendableWire = (now: number, limit: number, opts: ClaimOptions) =>
    sendableWire(claim(q.sendable, now, limit, opts));

  // The decision is applied first: a worker whose lease lapsed changes nothing, and its attempt
  // is not recorded (the worker that took the delivery over records its own).
  // Records come as values (`recordToValues`): the store thread binds them as they crossed.
  const attemptTx = db.transaction((batch: AttemptRecordValues[], now: number, workerId: string | null) => {
    let recorded = 0;
    for (const [a, state, nextAttemptAt] of batch) {
      // attempt no, status code; delivery id, series
      const applied = q.updateDelivery.run(
        state,
        nextAttemptAt,
        a[2],
        a[5],
        now,
        a[0],
        a[1],
        workerId,
        workerId,
      );
      if (applied.changes === 0 && workerId !== null) continue;
      q.insertAttempt.run(a);
      recorded++;
    }
    return recorded;
  });

  const contents = (ids: string[]) =>
    contentsFromValues(q.contents.all({ ids: JSON.stringify(ids) }) as unknown[][]);

  return {
    async createJob(job: NewJob) {
      q.insertJob.run(jobInsertRow(job));
    },
    async listJobs(jq) {
      const rows = q.listJobs.all({
        anyOwner: jq.owner === undefined ? 1 : 0,
        owner: jq.owner ?? null,
        kind: jq.kind ?? null,
        status: jq.status ?? null,
        lang: jq.lang ?? null,
        callUuid: jq.callUuid ?? null,
        jobId: jq.jobId ?? null,
        after: jq.createdAfter ?? null,
        beforeAt: jq.before?.createdAt ?? null,
        beforeId: jq.before?.id ?? null,
        limit: jq.limit,
      }) as Row[];
      return rows.map(jobFromRow);
    },
    async deleteJobData(id, now) {
      return db
        .transaction(() => {
          if (q.deleteJob.run({ id, now }).changes === 0) return false;
          q.emptyBodies.run({ id });
          q.abandonPending.run({ id, now });
          return true;
        })
        .immediate();
    },
    async expiredJobs(now, limit) {
      return {
        audio: (q.expiredAudio.all({ now, limit }) as Row[]).map((r) => ({
          ...expiredRow(r),
          audioName: String(r.audio_name),
        })),
        data: (q.expiredData.all({ now, limit }) as Row[]).map(expiredRow),
      };
    },
    async forgetAudio(id) {
      q.forgetAudio.run(id);
    },
    async usageSeconds(owner, since) {
      const r = q.usage.get({ anyOwner: owner === undefined ? 1 : 0, owner: owner ?? null, since }) as Row;
      return Number(r.s);
    },
    async getJob(id) {
      const r = q.getJob.get(id) as Row | undefined;
      return r ? jobFromRow(r) : null;
    },
    async countJobs(status) {
      return Number((q.countJobs.get(status) as Row).n);
    },
    async claimNextJob(now, lease) {
      const r = q.claimJob.get({ now, workerId: lease?.workerId ?? null, until: lease?.until ?? null }) as
        Row | undefined;
      return r ? jobFromRow(r) : null;
    },
    async setJobProgress(id, workerId, progress) {
      q.setProgress.run({ id, workerId, progress: JSON.stringify(progress) });
    },
    async extendJobLease(id, lease) {
      return q.extendJobLease.run({ id, ...lease }).changes === 1;
    },
    async finishJob(id, outcome, delivery, now, followUp = null, workerId) {
      finishTx.immediate(id, outcome, delivery, now, followUp, workerId ?? null);
    },
    async expireLeases(now, opts = {}) {
      const cutoff = opts.all ? Number.MAX_SAFE_INTEGER : now;
      return db
        .transaction(() => ({
          jobs: q.expireJobs.run({ now, cutoff }).changes,
          deliveries: q.expireDeliveries.run({ now, cutoff }).changes,
        }))
        .immediate();
    },
    async claimDueDeliveries(now, limit, opts = {}) {
      return claim(q.claimed, now, limit, opts).map(claimedFromValues);
    },
    async saveCircuit(c) {
      q.saveCircuit.run(c);
    },
    async listCircuits(since = Number.MAX_SAFE_INTEGER) {
      return (q.listCircuits.all({ since }) as Row[]).map(circuitFromRow);
    },
    async inFlightByHost(hosts) {
      const rows = q.inFlightByHost.all({ hosts: JSON.stringify(hosts) }) as Row[];
      return new Map(rows.map((r) => [String(r.host), Number(r.n)]));
    },
    async deliveryContents(ids) {
      return contents(ids);
    },
    async claimSendable(now, limit, opts = {}) {
      return sendableFromWire(claimSendableWire(now, limit, opts));
    },
    async claimSendableWire(now, limit, opts = {}) {
      return claimSendableWire(now, limit, opts);
    },
    async recordAttempts(batch, now, workerId) {
      return attemptTx.immediate(batch.map(recordToValues), now, workerId ?? null);
    },
    async recordAttemptValues(batch, now, workerId) {
      return attemptTx.immediate(batch, now, workerId ?? null);
    },
    async releaseDeliveries(ids, now, workerId) {
      return q.releaseDeliveries.run({ ids: JSON.stringify(ids), now, workerId }).changes;
    },
    async nextDueAt(opts = {}) {
      const times = lanes[opts.lane ?? "any"]
        .map((lane) => (nextDue[lane].get({ after: opts.after ?? -1 }) as Row).t)
        .filter((t) => t != null)
        .map(Number);
      return times.length === 0 ? null : Math.min(...times);
    },
    async getDelivery(id) {
      const r = q.getDelivery.get(id) as Row | undefined;
      return r ? deliveryFromRow(r) : null;
    },
    async listDeliveries(f) {
      const rows = q.listDeliveries.all({
        state: f.state ?? null,
        host: f.host ?? null,
        event: f.event ?? null,
        since: f.since ?? null,
        until: f.until ?? null,
        limit: f.limit,
        owner: f.owner ?? null,
      });
      return (rows as Row[]).map(deliveryInfoFromRow);
    },
    async receiverStats({ since, now, bucketMs, owner }) {
      const window = { since, now, owner: owner ?? null };
      return receiverStatsFromRows(
        q.receiverSummary.all(window) as Row[],
        q.receiverBuckets.all({ ...window, bucketMs }) as Row[],
        q.pendingByHost.all({ owner: owner ?? null }) as Row[],
        Math.ceil((now - since) / bucketMs),
      );
    },
    async deliveriesForJob(jobId) {
      return (q.forJob.all(jobId) as Row[]).map(deliveryInfoFromRow);
    },
    async attemptsFor(deliveryId) {
      return (q.attempts.all(deliveryId) as Row[]).map(attemptFromRow);
    },
    async restartDelivery(id, now, change = {}) {
      const { url, authHeader } = change;
      const r = q.restart.get({
        id,
        now,
        url: url ?? null,
        host: url ? hostOf(url) : null,
        setAuth: authHeader === undefined ? 0 : 1,
        force: change.force ? 1 : 0,
        authName: authHeader?.name ?? null,
        authValue: authHeader?.value ?? null,
      }) as Row | undefined;
      return r ? deliveryFromRow(q.getDelivery.get(id) as Row) : null;
    },
    async countDeliveries(state) {
      return Number((q.countByState.get(state) as Row).n);
    },
    async listEvents(after, limit, owner) {
      return (q.events.all({ after, limit, owner: owner ?? null }) as Row[]).map(deliveryFromRow);
    },
    async eventSeqBefore(since) {
      const first = q.seqSince.get(since) as Row | undefined;
      return first ? Number(first.seq) - 1 : Number((q.maxSeq.get() as Row).seq);
    },
    async findDeliveries({ since, until, state, host, urlPrefix, limit, owner }) {
      const rows = q.find.all({
        owner: owner ?? null,
        state,
        since: since ?? 0,
        until: until ?? Number.MAX_SAFE_INTEGER,
        host: host ?? null,
        prefix: urlPrefix ?? null,
        limit,
      });
      return (rows as Row[]).map(deliveryInfoFromRow);
    },
    async close() {
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = (db.prepare(`SELECT version FROM schema_migrations`).all() as Row[]).map((r) =>
    Number(r.version),
  );
  const record = db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`);
  for (const m of pendingMigrations(loadMigrations("sqlite"), applied)) {
    // a migration that edits table definitions in sqlite_schema (SQLite's documented way to change
    // a constraint without rebuilding the table) needs the connection's unsafe mode, and then a new
    // schema version so that other connections read the schema again
    const editsSchema = /PRAGMA writable_schema = ON/i.test(m.sql);
    db.unsafeMode(editsSchema);
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (editsSchema)
          db.pragma(`schema_version = ${Number(db.pragma("schema_version", { simple: true })) + 1}`);
        record.run(m.version, m.name, Date.now());
      }).immediate();
    } finally {
      db.unsafeMode(false);
    }
  }
}
