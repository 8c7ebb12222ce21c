/**
 * Every SQL statement of the Postgres store, each a pure builder returning `{text, values}`; the
 * code that runs them is `postgres.ts`. Times are epoch ms (bigint).
 */
import type {
  ClaimOptions,
  StoredCircuit,
  DeliveryChange,
  DeliveryFilter,
  DeliveryListFilter,
  JobProgress,
  DeliveryState,
  JobOutcome,
  Lease,
  NewAttempt,
  NewDelivery,
  NewJob,
  JobQuery,
} from "./types.ts";
import { INFO_COLUMNS, JOB_LIST_COLUMNS, ROUTING } from "./rows.ts";

export interface Sql {
  text: string;
  values: unknown[];
  /** set for the delivery engine's hot statements: prepared once per connection, not parsed and planned per call */
  name?: string;
}

const sql = (text: string, values: unknown[] = []): Sql => ({ text, values });
const prepared = (name: string, text: string, values: unknown[]): Sql => ({ name, text, values });

/**
 * A delivery is two rows (migration 008): what was enqueued (`delivery_items`, written once) and
 * what changes as it is sent (`delivery_states`); the view `deliveries` joins them for reads.
 * The routing columns each one holds: the claim's UPDATE returns the state's, joins the item's.
 */
const ITEM_ROUTING = ["job_id", "event", "url", "policy", "created_at"];
const STATE_ROUTING = ROUTING.filter((c) => !ITEM_ROUTING.includes(c));

export const insertJob = (j: NewJob) =>
  sql(
    `INSERT INTO jobs (id, kind, status, call_uuid, params, audio_name, created_at, updated_at, owner, audio_seconds)
     VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6, $7, $8)`,
    [
      j.id,
      j.kind,
      j.callUuid,
      JSON.stringify(j.params),
      j.audioName,
      j.now,
      j.owner ?? null,
      j.audioSeconds ?? null,
    ],
  );

/** Newest first; the cursor is (created_at, id) of the last row seen. */
export const listJobs = (q: JobQuery) =>
  sql(
    `SELECT ${JOB_LIST_COLUMNS} FROM jobs
     WHERE ($1 OR owner IS NOT DISTINCT FROM $2)
       AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR status = $4)
       AND ($5::text IS NULL OR params->>'lang' = $5)
       AND ($6::text IS NULL OR call_uuid = $6) AND ($7::text IS NULL OR id = $7)
       AND ($8::bigint IS NULL OR created_at > $8)
       AND ($9::bigint IS NULL OR (created_at, id) < ($9, $10::text))
     ORDER BY created_at DESC, id DESC LIMIT $11`,
    [
      q.owner === undefined,
      q.owner ?? null,
      q.kind ?? null,
      q.status ?? null,
      q.lang ?? null,
      q.callUuid ?? null,
      q.jobId ?? null,
      q.createdAfter ?? null,
      q.before?.createdAt ?? null,
      q.before?.id ?? null,
      q.limit,
    ],
  );

export const deleteJob = (id: string, now: number) =>
  sql(
    `UPDATE jobs SET result = NULL, deleted_at = $2, updated_at = $2, audio_name = NULL, params = params #- '{source,text}' #- '{source,items}'
     WHERE id = $1 AND deleted_at IS NULL`,
    [id, now],
  );

export const emptyJobBodies = (id: string, now: number) =>
  sql(
    `WITH emptied AS (UPDATE delivery_items SET body = '' WHERE job_id = $1 RETURNING id)
     UPDATE delivery_states SET
       state = CASE WHEN state = 'pending' THEN 'abandoned' ELSE state END,
       next_attempt_at = CASE WHEN state = 'pending' THEN NULL ELSE next_attempt_at END,
       updated_at = $2
     WHERE id IN (SELECT id FROM emptied)`,
    [id, now],
  );

export const expiredAudio = (now: number, limit: number) =>
  sql(
    `SELECT id, audio_name FROM jobs
     WHERE audio_name IS NOT NULL AND audio_expires_at <= $1 AND status IN ('succeeded', 'failed')
     ORDER BY audio_expires_at LIMIT $2`,
    [now, limit],
  );

export const expiredData = (now: number, limit: number) =>
  sql(
    `SELECT id, audio_name FROM jobs
     WHERE deleted_at IS NULL AND result_expires_at <= $1 AND status IN ('succeeded', 'failed')
     ORDER BY result_expires_at LIMIT $2`,
    [now, limit],
  );

export const forgetAudio = (id: string) => sql(`UPDATE jobs SET audio_name = NULL WHERE id = $1`, [id]);

export const usageSeconds = (owner: string | null | undefined, since: number) =>
  sql(
    `SELECT coalesce(sum(audio_seconds), 0)::float8 AS s FROM jobs
     WHERE ($1 OR owner IS NOT DISTINCT FROM $2) AND created_at >= $3 AND audio_seconds IS NOT NULL`,
    [owner === undefined, owner ?? null, since],
  );

export const getJob = (id: string) => sql(`SELECT * FROM jobs WHERE id = $1`, [id]);

export const countJobs = (status: string) =>
  sql(`SELECT count(*)::int AS n FROM jobs WHERE status = $1`, [status]);

/**
 * The claim is one statement: the oldest queued job, skipping rows another worker is claiming
 * (SKIP LOCKED), moved to processing under the caller's lease with its attempt counted.
 */
export const claimJob = (now: number, lease: Lease | undefined) =>
  sql(
    `UPDATE jobs SET status = 'processing', started_at = $1, updated_at = $1, attempts = attempts + 1,
       locked_by = $2, locked_until = $3
     WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [now, lease?.workerId ?? null, lease?.until ?? null],
  );

export const setJobProgress = (id: string, workerId: string, progress: JobProgress) =>
  sql(`UPDATE jobs SET progress = $3 WHERE id = $1 AND status = 'processing' AND locked_by = $2`, [
    id,
    workerId,
    JSON.stringify(progress),
  ]);

export const extendJobLease = (id: string, lease: Lease) =>
  sql(`UPDATE jobs SET locked_until = $3 WHERE id = $1 AND status = 'processing' AND locked_by = $2`, [
    id,
    lease.workerId,
    lease.until,
  ]);

export const finishJob = (id: string, o: JobOutcome, now: number, workerId: string | null) =>
  sql(
    `UPDATE jobs SET status = $2, result = $3, error_code = $4, error_message = $5, finished_at = $6,
       updated_at = $6, locked_by = NULL, locked_until = NULL,
       audio_seconds = coalesce(($3::jsonb #>> '{metadata,audio_duration}')::float8, audio_seconds)
     WHERE id = $1 AND ($7::text IS NULL OR (status = 'processing' AND locked_by = $7))`,
    [
      id,
      o.status,
      o.status === "succeeded" ? JSON.stringify(o.result) : null,
      o.status === "failed" ? o.errorCode : null,
      o.status === "failed" ? o.errorMessage : null,
      now,
      workerId,
    ],
  );

/** Serialises delivery inserts so that `seq` order is commit order (the events-feed cursor never skips). */
export const lockEventSequence = () => sql(`SELECT pg_advisory_xact_lock(7411001)`);

export const insertDelivery = (d: NewDelivery, jobId: string, host: string, now: number) =>
  sql(
    `WITH item AS (
       INSERT INTO delivery_items (id, job_id, event, url, policy, auth_header_name, auth_header_value, body, created_at)
       VALUES ($1, $2, $3, $4, $6, $7, $8, $9, $10) RETURNING id, seq
     )
     INSERT INTO delivery_states (id, seq, host, state, next_attempt_at, updated_at)
     SELECT id, seq, $5, 'pending', $10, $10 FROM item`,
    [d.id, jobId, d.event, d.url, host, d.policy, d.authHeaderName, d.authHeaderValue, d.body, now],
  );

export const expireJobs = (now: number, cutoff: number) =>
  sql(
    `UPDATE jobs SET status = 'queued', started_at = NULL, updated_at = $1, locked_by = NULL, locked_until = NULL
     WHERE status = 'processing' AND coalesce(locked_until, 0) < $2`,
    [now, cutoff],
  );

export const expireDeliveries = (now: number, cutoff: number) =>
  sql(
    `UPDATE delivery_states SET state = 'pending', next_attempt_at = $1, updated_at = $1, locked_by = NULL,
       locked_until = NULL
     WHERE state = 'delivering' AND coalesce(locked_until, 0) < $2`,
    [now, cutoff],
  );

const laneCond = { first: "lane = 0", retry: "lane = 1", any: "lane IN (0, 1)" } as const;
export type Lane = keyof typeof laneCond;

/** The host in `column` is not one of those left out ($3). */
const notLeftOut = (column: string) =>
  `NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS x(h) WHERE x.h = ${column})`;

/**
 * Every host with pending rows in a lane, one index step each (a skip scan of
 * deliveries_host_due). Its own statement: inside the claim, the recursive CTE made each claim
 * take ~0.5 s with 1.1M pending rows, though each of its index steps took microseconds.
 */
export const hostsWithPending = (lane: Lane) =>
  prepared(
    `hosts_with_pending_${lane}`,
    `WITH RECURSIVE hosts(host) AS (
       (SELECT host FROM delivery_states WHERE state = 'pending' AND ${laneCond[lane]} ORDER BY host LIMIT 1)
       UNION ALL
       SELECT (SELECT d.host FROM delivery_states d WHERE d.state = 'pending' AND ${laneCond[lane]} AND d.host > hosts.host
               ORDER BY d.host LIMIT 1)
       FROM hosts WHERE hosts.host IS NOT NULL
     ) SELECT host FROM hosts WHERE host IS NOT NULL`,
    [],
  );

/** Rows an operator asked to send now that are due (index deliveries_forced). */
const forcedDue = (lane: Lane) =>
  `state = 'pending' AND ${laneCond[lane]} AND force_send AND next_attempt_at <= $1`;

/**
 * Where a claim's candidate rows come from. `window`: the first $2 due rows of the lane in due
 * order (index deliveries_due), whoever their host. `heads`: the first $2 due rows of each host in
 * $12 (`hostsWithPending`) that is not left out (index deliveries_host_due), plus forced rows
 * (deliveries_forced): used when hosts that may take no more filled the window, so that the claim
 * reads past them without scanning their backlog.
 */
const dueRows = {
  window: (lane: Lane) => `due AS (
       SELECT id, host, force_send, next_attempt_at FROM delivery_states
       WHERE state = 'pending' AND ${laneCond[lane]} AND next_attempt_at <= $1
       ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
     )`,
  heads: (lane: Lane) => `heads AS (
       SELECT head.* FROM unnest($12::text[]) AS hosts(host) CROSS JOIN LATERAL (
         SELECT id, host, force_send, next_attempt_at FROM delivery_states
         WHERE state = 'pending' AND ${laneCond[lane]} AND host = hosts.host AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ) head
       WHERE ${notLeftOut("hosts.host")}
     ), forced AS (
       SELECT id, host, force_send, next_attempt_at FROM delivery_states WHERE ${forcedDue(lane)}
       ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), due AS (SELECT * FROM heads UNION SELECT * FROM forced)`,
} as const;
export type ClaimSource = keyof typeof dueRows;

/**
 * The delivery claim, one statement (ARCHITECTURE.md habit 1): lock candidate due rows of one
 * lane (`dueRows`), skipping rows another worker is claiming; rank each host's rows and keep those
 * within both the host's global cap (rows delivering across every worker, but for this worker's
 * `settling` ones, whose request is over) and this worker's allowance for it (`hostFree`,
 * `newHostFree` for unknown hosts), none of hosts left out; rows an operator forced pass
 * regardless; mark the first `limit` delivering under the lease and return their routing columns
 * (never bodies), each with `window_rows`, how many candidates there were, `window_hosts`, their
 * hosts, and `forced_due`, whether forced rows are due (one row of nulls but those if none was
 * claimed). One round trip instead of six: Postgres drain 1 worker, 0.5 KB: see bench/delivery.ts.
 * It runs with a generic plan (no planning per claim, see postgres.ts); the host test is written
 * as NOT EXISTS because `<> ALL($3)` made that plan sort every due row instead of reading the
 * index in due order up to the LIMIT.
 */
export const claimDeliveries = (
  lane: Lane,
  now: number,
  limit: number,
  o: ClaimOptions,
  /** the `heads` source's hosts; none: the `window` source */
  hosts?: string[],
) => {
  const source: ClaimSource = hosts ? "heads" : "window";
  const free = Object.entries(o.hostFree ?? {});
  const perHost = o.perHost ?? limit;
  return prepared(
    `claim_deliveries_${source}_${lane}`,
    `WITH ${dueRows[source](lane)}, busy AS (
       SELECT host, count(*)::int AS n FROM delivery_states
       WHERE state = 'delivering' AND host IN (SELECT host FROM due)
         AND NOT coalesce(id = ANY ($11::text[]) AND locked_by = $9, false)
       GROUP BY host
     ), ranked AS (
       SELECT due.id, due.force_send, due.next_attempt_at, coalesce(busy.n, 0) AS busy_n,
         coalesce(allowance.free, $6) AS free, ${notLeftOut("due.host")} AS allowed,
         row_number() OVER (PARTITION BY due.host ORDER BY due.next_attempt_at, due.id) AS rn
       FROM due
       LEFT JOIN busy ON busy.host = due.host
       LEFT JOIN unnest($4::text[], $5::int[]) AS allowance(host, free) ON allowance.host = due.host
     ), picked AS (
       SELECT id FROM ranked
       WHERE force_send OR (allowed AND rn <= free AND busy_n + rn <= $7)
       ORDER BY next_attempt_at, id LIMIT $8
     ), claimed AS (
       UPDATE delivery_states d SET state = 'delivering', updated_at = $1, locked_by = $9, locked_until = $10
       WHERE d.id = ANY (ARRAY(SELECT id FROM picked)) -- an index probe per row, whatever the estimate of picked
       RETURNING d.seq, ${STATE_ROUTING.map((c) => `d.${c}`).join(", ")}
     )
     SELECT claimed.*, ${ITEM_ROUTING.map((c) => `i.${c}`).join(", ")}, w.n AS window_rows, w.hosts AS window_hosts,
       EXISTS (SELECT 1 FROM delivery_states WHERE ${forcedDue(lane)}) AS forced_due
     FROM (SELECT count(*)::int AS n, array_agg(DISTINCT host) AS hosts FROM due) w LEFT JOIN claimed ON true
       LEFT JOIN delivery_items i ON i.id = claimed.id`,
    [
      now,
      // the window is the batch: every row of it is locked, taken or not (twice the batch locked
      // ~2 rows per 0.5 KB delivery that the claim did not take: WAL 1,408-1,583 → 1,344-1,352 B)
      limit,
      o.excludeHosts ?? [],
      free.map(([h]) => h),
      free.map(([, n]) => n),
      o.newHostFree ?? perHost,
      perHost,
      limit,
      o.lease?.workerId ?? null,
      o.lease?.until ?? null,
      o.settling ?? [],
      ...(hosts ? [hosts] : []),
    ],
  );
};

/** Deliveries in flight per host, across every worker (the shared per-host cap). */
export const inFlightByHost = (hosts: string[]) =>
  sql(
    `SELECT host, count(*)::int AS n FROM delivery_states WHERE state = 'delivering' AND host = ANY($1::text[])
     GROUP BY host`,
    [hosts],
  );

export const releaseDeliveries = (ids: string[], now: number, workerId: string) =>
  sql(
    `UPDATE delivery_states SET state = 'pending', updated_at = $2, locked_by = NULL, locked_until = NULL
     WHERE id = ANY($1::text[]) AND state = 'delivering' AND locked_by = $3`,
    [ids, now, workerId],
  );

export const deliveryContents = (ids: string[]) =>
  prepared(
    "delivery_contents",
    `SELECT id, body, auth_header_name, auth_header_value FROM delivery_items WHERE id = ANY($1::text[])`,
    [ids],
  );

/**
 * A whole group commit in one statement: apply each decision (only where `workerId`, when given,
 * still holds the delivery) and append the attempt rows of the decisions that applied; without a
 * `workerId` every attempt is appended.
 */
export const recordAttempts = (
  batch: ReadonlyArray<{ attempt: NewAttempt; update: { state: string; nextAttemptAt: number | null } }>,
  now: number,
  workerId: string | null,
) => {
  const col = <T>(f: (b: (typeof batch)[number]) => T) => batch.map(f);
  return prepared(
    "record_attempts",
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::int[], $6::int[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])
         WITH ORDINALITY AS t(delivery_id, series, attempt_no, started_at, latency_ms, status_code, error_class,
              error_detail, url_host, response_snippet, state, next_attempt_at, ord)
     ), decision AS (
       -- one UPDATE may change a row once: of several entries for a delivery the last one decides
       SELECT DISTINCT ON (delivery_id) * FROM input ORDER BY delivery_id, ord DESC
     ), applied AS (
       UPDATE delivery_states d SET state = i.state, next_attempt_at = i.next_attempt_at,
         attempts_in_series = i.attempt_no, last_status_code = coalesce(i.status_code, d.last_status_code),
         updated_at = $13, locked_by = NULL, locked_until = NULL, force_send = false
       FROM decision i
       WHERE d.id = i.delivery_id AND d.series = i.series
         AND ($14::text IS NULL OR (d.state = 'delivering' AND d.locked_by = $14))
       RETURNING d.id
     )
     INSERT INTO delivery_attempts (delivery_id, series, attempt_no, started_at, latency_ms, status_code,
       error_class, error_detail, url_host, response_snippet)
     SELECT delivery_id, series, attempt_no, started_at, latency_ms, status_code, error_class, error_detail,
       url_host, response_snippet
     FROM input WHERE $14::text IS NULL OR delivery_id IN (SELECT id FROM applied) ORDER BY ord`,
    [
      col((b) => b.attempt.deliveryId),
      col((b) => b.attempt.series),
      col((b) => b.attempt.attemptNo),
      col((b) => b.attempt.startedAt),
      col((b) => b.attempt.latencyMs),
      col((b) => b.attempt.statusCode),
      col((b) => b.attempt.errorClass),
      col((b) => b.attempt.errorDetail),
      col((b) => b.attempt.urlHost),
      col((b) => b.attempt.responseSnippet),
      col((b) => b.update.state),
      col((b) => b.update.nextAttemptAt),
      now,
      workerId,
    ],
  );
};

export const nextDueAt = (lane: Lane, after: number) =>
  prepared(
    `next_due_${lane}`,
    `SELECT min(next_attempt_at) AS t FROM delivery_states
     WHERE state = 'pending' AND ${laneCond[lane]} AND next_attempt_at > $1`,
    [after],
  );

export const countDeliveries = (state: DeliveryState) =>
  sql(`SELECT count(*)::int AS n FROM delivery_states WHERE state = $1`, [state]);

export const listEvents = (after: number, limit: number, owner: string | null = null) =>
  sql(
    `SELECT * FROM deliveries WHERE seq > $1 AND ($3::text IS NULL OR job_id IN (SELECT id FROM jobs WHERE owner = $3)) ORDER BY seq LIMIT $2`,
    [after, limit, owner],
  );

export const eventSeqBefore = (since: number) =>
  sql(
    `SELECT coalesce((SELECT seq - 1 FROM delivery_items WHERE created_at >= $1 ORDER BY created_at, seq LIMIT 1),
       (SELECT coalesce(max(seq), 0) FROM delivery_items)) AS seq`,
    [since],
  );

export const findDeliveries = (f: DeliveryFilter) =>
  sql(
    `SELECT ${INFO_COLUMNS} FROM deliveries
     WHERE state = $1 AND created_at >= $2 AND created_at < $3
       AND ($4::text IS NULL OR host = $4) AND ($5::text IS NULL OR left(url, length($5)) = $5)
       AND ($7::text IS NULL OR job_id IN (SELECT id FROM jobs WHERE owner = $7))
     ORDER BY seq LIMIT $6`,
    [
      f.state,
      f.since ?? 0,
      f.until ?? Number.MAX_SAFE_INTEGER,
      f.host ?? null,
      f.urlPrefix ?? null,
      f.limit,
      f.owner ?? null,
    ],
  );

export const getDelivery = (id: string) => sql(`SELECT * FROM deliveries WHERE id = $1`, [id]);

export const listDeliveries = (f: DeliveryListFilter) =>
  sql(
    `SELECT ${INFO_COLUMNS} FROM deliveries WHERE ($1::text IS NULL OR state = $1) AND ($3::text IS NULL OR job_id IN (SELECT id FROM jobs WHERE owner = $3))
       AND ($4::text IS NULL OR host = $4) AND ($5::text IS NULL OR event = $5)
       AND ($6::bigint IS NULL OR created_at >= $6) AND ($7::bigint IS NULL OR created_at < $7)
     ORDER BY seq DESC LIMIT $2`,
    [
      f.state ?? null,
      f.limit,
      f.owner ?? null,
      f.host ?? null,
      f.event ?? null,
      f.since ?? null,
      f.until ?? null,
    ],
  );

/** Attempts started in [$1, $2) with their host and whether they got a 2xx ($3: only that owner's). */
const ATTEMPTS_IN_WINDOW = `SELECT coalesce(a.url_host, d.host) AS host, a.latency_ms AS ms, a.started_at,
    CASE WHEN a.status_code >= 200 AND a.status_code < 300 THEN 1 ELSE 0 END AS ok
  FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
  WHERE a.started_at >= $1::bigint AND a.started_at < $2::bigint
    AND ($3::text IS NULL OR d.job_id IN (SELECT id FROM jobs WHERE owner = $3))`;

/**
 * Per host: attempts, 2xx count and nearest-rank p50/p99 latency (the smallest latency whose rank
 * reaches p % of the host's attempts), over the window (index delivery_attempts_started).
 */
export const receiverSummary = (since: number, now: number, owner: string | null) =>
  sql(
    `WITH a AS (${ATTEMPTS_IN_WINDOW}),
     r AS (SELECT host, ms, ok, row_number() OVER (PARTITION BY host ORDER BY ms) AS rn,
             count(*) OVER (PARTITION BY host) AS n FROM a)
     SELECT host, max(n) AS attempts, sum(ok) AS succeeded,
       min(CASE WHEN rn * 100 >= n * 50 THEN ms END) AS p50,
       min(CASE WHEN rn * 100 >= n * 99 THEN ms END) AS p99
     FROM r GROUP BY host`,
    [since, now, owner],
  );

export const receiverBuckets = (since: number, now: number, owner: string | null, bucketMs: number) =>
  sql(
    `WITH a AS (${ATTEMPTS_IN_WINDOW})
     SELECT host, (started_at - $1::bigint) / $4::bigint AS bucket, count(*) AS attempts, sum(ok) AS succeeded
     FROM a GROUP BY 1, 2`,
    [since, now, owner, bucketMs],
  );

export const pendingByHost = (owner: string | null) =>
  sql(
    `SELECT host, count(*) AS n FROM delivery_states
     WHERE state IN ('pending', 'delivering')
       AND ($1::text IS NULL OR id IN (SELECT id FROM delivery_items WHERE job_id IN (SELECT id FROM jobs WHERE owner = $1)))
     GROUP BY host`,
    [owner],
  );

export const deliveriesForJob = (jobId: string) =>
  sql(`SELECT ${INFO_COLUMNS} FROM deliveries WHERE job_id = $1 ORDER BY seq`, [jobId]);

export const attemptsFor = (deliveryId: string) =>
  sql(`SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, [deliveryId]);

export const restartDelivery = (id: string, now: number, change: DeliveryChange, host: string | null) =>
  sql(
    `WITH s AS (
       UPDATE delivery_states SET state = 'pending', series = series + 1, attempts_in_series = 0, next_attempt_at = $2,
         updated_at = $2, host = coalesce($4, host), force_send = $8
       WHERE id = $1 AND state <> 'delivering'
       RETURNING *
     ), i AS (
       UPDATE delivery_items SET url = coalesce($3, url),
         auth_header_name = CASE WHEN $5 THEN $6 ELSE auth_header_name END,
         auth_header_value = CASE WHEN $5 THEN $7 ELSE auth_header_value END
       WHERE id IN (SELECT id FROM s)
       RETURNING *
     )
     SELECT * FROM s JOIN i USING (id, seq)`,
    [
      id,
      now,
      change.url ?? null,
      host,
      change.authHeader !== undefined,
      change.authHeader?.name ?? null,
      change.authHeader?.value ?? null,
      change.force === true,
    ],
  );

export const saveCircuit = (c: StoredCircuit) =>
  sql(
    `INSERT INTO host_circuits (host, state, failures, open_until, cooldown_ms, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (host) DO UPDATE SET state = excluded.state, failures = excluded.failures,
       open_until = excluded.open_until, cooldown_ms = excluded.cooldown_ms, updated_at = excluded.updated_at`,
    [c.host, c.state, c.failures, c.openUntil, c.cooldownMs, c.updatedAt],
  );

export const listCircuits = (since: number) =>
  prepared(
    "list_circuits",
    `SELECT * FROM host_circuits WHERE state <> 'closed' OR failures > 0 OR updated_at > $1`,
    [since],
  );

/**
 * The channel of one schema's notifications: deployments that share a database in different
 * schemas do not wake each other.
 */
export const channelOf = (schema: string) => `callscribe_${schema}`;

/** Wakes workers and inline waiters in other processes (LISTEN on the schema's channel). */
export const notify = (schema: string, ...payloads: string[]) =>
  sql(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [channelOf(schema), payloads]);

export const putBlobChunk = (name: string, seq: number, data: Buffer) =>
  sql(`INSERT INTO audio_blobs (name, seq, data) VALUES ($1, $2, $3)`, [name, seq, data]);

export const getBlobChunk = (name: string, seq: number) =>
  sql(`SELECT data FROM audio_blobs WHERE name = $1 AND seq = $2`, [name, seq]);

export const removeBlob = (name: string) => sql(`DELETE FROM audio_blobs WHERE name = $1`, [name]);
