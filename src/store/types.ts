/**
 * The persistence boundary. Everything above this file talks to `Store`; SQLite is the embedded
 * default and a Postgres implementation satisfies the same interface. All times are epoch ms.
 */
export type JobKind = "transcription" | "summary" | "tags";
export type JobStatus = "queued" | "processing" | "succeeded" | "failed";
export type DeliveryState = "pending" | "delivering" | "delivered" | "abandoned";
export type WebhookEvent = "transcriptDelivered" | "summaryDelivered";

/** Closed set of reasons an attempt failed (ARCHITECTURE.md habit 4). */
export type FailureClass =
  | "dns"
  | "connect"
  | "tls"
  | "timeout"
  | "reset"
  | "http_3xx"
  | "http_4xx"
  | "http_5xx"
  | "ssrf_blocked"
  | "other";

export interface JobRow {
  id: string;
  kind: JobKind;
  status: JobStatus;
  callUuid: string;
  /** the validated request, minus the audio bytes */
  params: unknown;
  audioName: string | null;
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** how many times a worker has claimed it (a job whose workers keep dying fails: worker_lost) */
  attempts: number;
  /** seconds of audio done of the total, while a transcription runs */
  progress: JobProgress | null;
  /** tenant (or key id) that created it; null on a server without API keys */
  owner: string | null;
  /** when its audio, result and webhook bodies were deleted (the row stays) */
  deletedAt: number | null;
  /** length of the transcribed audio, kept after deletion (usage) */
  audioSeconds: number | null;
  resultExpiresAt: number | null;
}

/** Which jobs a listing returns, newest first (`before`: the cursor, exclusive). */
export interface JobQuery {
  /** undefined: any owner */
  owner?: string | null | undefined;
  kind?: JobKind | undefined;
  status?: JobStatus | undefined;
  lang?: string | undefined;
  callUuid?: string | undefined;
  jobId?: string | undefined;
  createdAfter?: number | undefined;
  before?: { createdAt: number; id: string } | undefined;
  limit: number;
}

export interface JobProgress {
  done: number;
  total: number;
}

/** A claim's lease: who holds the row and until when; an expired lease is reclaimed by any worker. */
export interface Lease {
  workerId: string;
  until: number;
}

/** The lease holder no longer holds the row (it expired and another worker took it). */
export class LeaseLostError extends Error {
  constructor(what: string) {
    super(`lease lost: ${what} was reclaimed by another worker`);
    this.name = "LeaseLostError";
  }
}

export interface NewJob {
  id: string;
  kind: JobKind;
  callUuid: string;
  params: unknown;
  audioName: string | null;
  now: number;
  owner?: string | null | undefined;
  /** known at submission when the upload was probed (counted in usage while the job runs) */
  audioSeconds?: number | null | undefined;
  /** retention: when the sweeper removes the audio, and the result (null: kept) */
  audioExpiresAt?: number | null | undefined;
  resultExpiresAt?: number | null | undefined;
}

export type JobOutcome =
  { status: "succeeded"; result: unknown } | { status: "failed"; errorCode: string; errorMessage: string };

export interface DeliveryRow {
  id: string;
  /** position in the events feed (GET /events): increases with every delivery created */
  seq: number;
  jobId: string;
  event: WebhookEvent;
  url: string;
  /** host[:port] of `url`, the unit of isolation (concurrency cap, circuit breaker) */
  host: string;
  /** name of the retry policy preset */
  policy: string;
  /** custom auth header; the value is a secret and never leaves the server except to the receiver */
  authHeaderName: string | null;
  authHeaderValue: string | null;
  body: string;
  state: DeliveryState;
  /** a redelivery starts a new series; attempts are numbered within their series */
  series: number;
  attemptsInSeries: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  createdAt: number;
  updatedAt: number;
  /** an operator asked to send it now, past an open circuit (redeliver `now`); its next attempt clears it */
  forceSend: boolean;
}

/**
 * A delivery without its body: what listings return. None of their readers shows the body, and
 * reading it made a listing's cost grow with body size.
 */
export type DeliveryInfo = Omit<DeliveryRow, "body">;

/** What a claim returns: ids and routing columns, never the body (read when sending). */
export type ClaimedDelivery = Omit<DeliveryRow, "body" | "authHeaderName" | "authHeaderValue">;

/** What the sender needs besides the routing columns. */
export type DeliveryContent = Pick<DeliveryRow, "authHeaderName" | "authHeaderValue"> & {
  /** the JSON body; SQLite hands over a large one as its stored UTF-8 bytes (no decoding and re-encoding per send) */
  body: string | Uint8Array;
};

/** A claimed delivery with what it takes to send it. */
export type SendableDelivery = ClaimedDelivery & DeliveryContent;

export interface NewDelivery {
  id: string;
  event: WebhookEvent;
  url: string;
  policy: string;
  authHeaderName: string | null;
  authHeaderValue: string | null;
  body: string;
}

export interface AttemptRow {
  id: number;
  deliveryId: string;
  series: number;
  attemptNo: number;
  startedAt: number;
  latencyMs: number;
  statusCode: number | null;
  errorClass: FailureClass | null;
  errorDetail: string | null;
  urlHost: string | null;
  /** first 2 KiB of the response body */
  responseSnippet: string | null;
}

export type NewAttempt = Omit<AttemptRow, "id">;

/** What the delivery worker decided after an attempt. */
export interface DeliveryUpdate {
  state: Exclude<DeliveryState, "delivering">;
  nextAttemptAt: number | null;
}

/** An attempt to append and the decision to apply to its delivery. */
export interface AttemptRecord {
  attempt: NewAttempt;
  update: DeliveryUpdate;
}

/** Which deliveries a recovery looks at. */
export interface DeliveryFilter {
  since?: number | undefined;
  until?: number | undefined;
  state: DeliveryState;
  host?: string | undefined;
  urlPrefix?: string | undefined;
  limit: number;
  /** only deliveries of this owner's jobs */
  owner?: string | null | undefined;
}

/** Which deliveries a listing returns, newest first (the console's and `GET /deliveries` filters). */
export interface DeliveryListFilter {
  state?: DeliveryState | undefined;
  /** host[:port], lower-case */
  host?: string | undefined;
  event?: WebhookEvent | undefined;
  /** created in [since, until) */
  since?: number | undefined;
  until?: number | undefined;
  limit: number;
  owner?: string | null | undefined;
}

/** One receiver host's figures over a window of attempts (`receiverStats`). */
export interface ReceiverStats {
  host: string;
  attempts: number;
  /** attempts answered 2xx */
  succeeded: number;
  /** nearest-rank percentiles of attempt latency; null without attempts */
  p50LatencyMs: number | null;
  p99LatencyMs: number | null;
  /** deliveries to the host waiting or in flight now (pending or delivering) */
  pending: number;
  /** attempts per bucket of `bucketMs` from `since` (index 0 = oldest), all buckets present */
  buckets: Array<{ attempts: number; succeeded: number }>;
}

export interface DeliveryChange {
  url?: string | undefined;
  authHeader?: { name: string; value: string } | null | undefined;
  /** one attempt now, past an open circuit or a full host */
  force?: boolean | undefined;
}

/** A receiver host's circuit breaker as stored (shared by every worker). */
export interface StoredCircuit {
  host: string;
  state: "closed" | "open" | "half_open";
  failures: number;
  openUntil: number | null;
  cooldownMs: number | null;
  updatedAt: number;
}

export interface ClaimOptions {
  lane?: "first" | "retry";
  /** the claiming worker's lease on the rows; none: held until released by `expireLeases` */
  lease?: Lease;
  /** cap on deliveries in flight to one host, across every worker */
  perHost?: number;
  /** this process's deliveries in flight per host (the single-process store counts with these) */
  inFlight?: Record<string, number>;
  /** how many more this worker may send to a host now (its window, its circuit) */
  hostFree?: Record<string, number>;
  /** the same for a host this worker has no history with (a slow start) */
  newHostFree?: number;
  /** hosts not to claim for at all (circuit open, window full) */
  excludeHosts?: string[];
  /**
   * Deliveries of this worker whose request is over but whose attempt record has not committed:
   * still `delivering` in the database, but no load on their host, so the shared per-host cap
   * does not count them (the single-process store counts with `inFlight` and ignores this).
   */
  settling?: string[];
}

/** host[:port] as used for isolation; lower-cased, default ports dropped by URL. */
export const hostOf = (url: string): string => new URL(url).host.toLowerCase();

export interface Store {
  createJob(job: NewJob): Promise<void>;
  getJob(id: string): Promise<JobRow | null>;
  /** Jobs matching `q`, newest first, without their results (`result` is null). */
  listJobs(q: JobQuery): Promise<JobRow[]>;
  /**
   * Deletes what a job holds about the call: its result, text sources in its params, and the
   * bodies of its webhooks (emptied; delivery and attempt rows stay); pending webhooks are
   * abandoned; its audio name is forgotten. The row stays, marked deleted. False if unknown or
   * already deleted. The audio blob is the caller's to remove (first).
   */
  deleteJobData(id: string, now: number): Promise<boolean>;
  /**
   * Retention: finished jobs whose audio has expired (with the blob to remove) and whose data has
   * expired (to delete), at most `limit` of each, earliest first.
   */
  expiredJobs(
    now: number,
    limit: number,
  ): Promise<{
    audio: Array<{ id: string; audioName: string }>;
    data: Array<{ id: string; audioName: string | null }>;
  }>;
  /** The job's audio blob was removed (its name is forgotten). */
  forgetAudio(id: string): Promise<void>;
  /** Seconds of audio transcribed for `owner` (any owner: undefined) since `since`, deleted jobs included. */
  usageSeconds(owner: string | null | undefined, since: number): Promise<number>;
  countJobs(status: JobStatus): Promise<number>;
  /** queued → processing under `lease`, oldest first, attempts + 1; null when nothing is queued */
  claimNextJob(now: number, lease?: Lease): Promise<JobRow | null>;
  /** Records how far a running job is (only while `workerId` holds it). */
  setJobProgress(id: string, workerId: string, progress: JobProgress): Promise<void>;
  /** Heartbeat: moves the lease on; false when the worker no longer holds it. */
  extendJobLease(id: string, lease: Lease): Promise<boolean>;
  /**
   * Terminal state, the pending callback delivery and a follow-up job (e.g. the summary of a
   * transcription), all in one transaction. With `workerId`, only if that worker still holds the
   * job's lease (else LeaseLostError and nothing is written).
   */
  finishJob(
    id: string,
    outcome: JobOutcome,
    delivery: NewDelivery | null,
    now: number,
    followUp?: NewJob | null,
    workerId?: string,
  ): Promise<void>;
  /**
   * Jobs and deliveries whose lease ended before `now` become claimable again (queued / pending,
   * due now). Workers run it periodically; with `all` every claim is released (a single-process
   * store at start-up: whoever held them is dead).
   */
  expireLeases(now: number, opts?: { all?: boolean }): Promise<{ jobs: number; deliveries: number }>;

  /**
   * pending deliveries due at `now` → delivering, earliest first, at most `limit`, never more than
   * `perHost - inFlight[host]` for one host, none for `excludeHosts`; `lane` separates first
   * attempts from retries so new deliveries never wait behind a retry backlog.
   */
  claimDueDeliveries(now: number, limit: number, opts?: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** The bodies and auth headers of claimed deliveries, read just before they are sent. */
  deliveryContents(ids: string[]): Promise<Map<string, DeliveryContent>>;
  /**
   * `claimDueDeliveries`, then `deliveryContents` of what it claimed, read after the claim has
   * committed: the sender's one call per batch (one round trip to the SQLite store's thread). A
   * claimed row whose content is gone is left out. On Postgres, where the read is a round trip
   * of its own, rows claimed under a lease are given back if it fails, before the error is thrown.
   */
  claimSendable(now: number, limit: number, opts?: ClaimOptions): Promise<SendableDelivery[]>;
  /**
   * Appends the attempt rows and applies the decisions, all in one transaction (group commit).
   * With `workerId`, entries whose delivery that worker no longer holds are skipped (not recorded);
   * returns how many were recorded.
   */
  recordAttempts(batch: AttemptRecord[], now: number, workerId?: string): Promise<number>;
  /**
   * Gives claimed deliveries back unsent, as they were before the claim (pending, no attempt
   * spent): only those `workerId` still holds. Returns how many it gave back.
   */
  releaseDeliveries(ids: string[], now: number, workerId: string): Promise<number>;
  /** earliest next_attempt_at among pending deliveries (optionally of one lane, only later than `after`) */
  nextDueAt(opts?: { lane?: ClaimOptions["lane"]; after?: number }): Promise<number | null>;
  countDeliveries(state: DeliveryState): Promise<number>;
  /** events feed: deliveries with seq > `after`, in seq order (only of `owner`'s jobs, if given) */
  listEvents(after: number, limit: number, owner?: string | null): Promise<DeliveryRow[]>;
  /** the events-feed position just before the first delivery created at or after `since` */
  eventSeqBefore(since: number): Promise<number>;
  /** deliveries created in [since, until) in a state, optionally of one host or URL prefix, oldest first (recovery) */
  findDeliveries(filter: DeliveryFilter): Promise<DeliveryInfo[]>;
  getDelivery(id: string): Promise<DeliveryRow | null>;
  listDeliveries(filter: DeliveryListFilter): Promise<DeliveryInfo[]>;
  /**
   * Per receiver host: attempts started in [since, now) with success count, p50/p99 latency and
   * `buckets` of `bucketMs`, plus the deliveries pending for it now; hosts with either, by host.
   */
  receiverStats(q: {
    since: number;
    now: number;
    bucketMs: number;
    owner?: string | null | undefined;
  }): Promise<ReceiverStats[]>;
  deliveriesForJob(jobId: string): Promise<DeliveryInfo[]>;
  attemptsFor(deliveryId: string): Promise<AttemptRow[]>;
  /**
   * A new attempt series for a delivery not currently in flight, optionally to a new URL and with
   * a new auth header (`null` removes it; `undefined` keeps it); null if unknown or in flight.
   */
  restartDelivery(id: string, now: number, change?: DeliveryChange): Promise<DeliveryRow | null>;
  /** Records a host's circuit (last writer wins). */
  saveCircuit(c: StoredCircuit): Promise<void>;
  /** Every host whose circuit is not plainly closed, and those changed since `since`. */
  listCircuits(since?: number): Promise<StoredCircuit[]>;
  /** deliveries in flight per host, across every worker */
  inFlightByHost(hosts: string[]): Promise<Map<string, number>>;

  close(): Promise<void>;
}
