/**
 * The delivery worker: claims due deliveries from the store, sends each once, appends the attempt
 * row and applies the policy's decision in one transaction. Two lanes (first attempts, retries)
 * with their own slots, so new deliveries never wait behind a retry backlog; a host gate caps
 * each receiver's share and holds back hosts whose circuit is open. Everything it needs survives a
 * crash in the database: a restart releases deliveries a dead process left in flight.
 */
import type { Logger } from "pino";
import type { Metrics } from "../metrics.ts";
import type { AttemptRecord, DeliveryRow, SendableDelivery, Store } from "../store/types.ts";
import { createPump, type Pump } from "../worker/pump.ts";
import { SlotTable } from "../worker/slot-table.ts";
import { fromStored, toStored, type CircuitConfig } from "./circuit.ts";
import { createGroupCommit } from "./group-commit.ts";
import { createHostGate, type HostGate } from "./host-gate.ts";
import { decide, type RetryPolicy } from "./policy.ts";
import type { WebhookSender } from "./sender.ts";
import { signatureHeaders } from "./signer.ts";

export interface DeliveryWorkerDeps {
  store: Store;
  send: WebhookSender;
  policyFor(name: string): RetryPolicy;
  /** slots per lane */
  concurrency: number;
  perHost: number;
  circuit: CircuitConfig;
  signingKeys: Buffer[];
  /** names this process in delivery leases */
  workerId: string;
  /** how long a claimed delivery stays this worker's; longer than any policy's attempt timeout */
  leaseMs: number;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
  rand?: () => number;
}

export interface DeliveryWorker extends Pump {
  readonly gate: HostGate;
}

const RETRY_WAKE_MS = 50;

/** For the circuit breaker a host is healthy if it answered, unless with 5xx or 429. */
const hostAnswered = (o: { statusCode: number | null }) =>
  o.statusCode !== null && o.statusCode < 500 && o.statusCode !== 429;

/** Stable across retries and redeliveries of the same event (Standard Webhooks `webhook-id`). */
export const webhookId = (d: Pick<DeliveryRow, "id">) => `msg_${d.id}`;

/** Names the event of every delivery, so receivers need not sniff bodies. */
export const EVENT_HEADER = "x-callscribe-event";

/** `https://user:pass@host/…` means HTTP Basic auth, as in curl; the HTTP client would drop it silently. */
export function basicAuthOf(url: string): Record<string, string> {
  if (!url.includes("@")) return {}; // no userinfo: skip parsing the URL on every attempt
  const u = new URL(url);
  if (!u.username && !u.password) return {};
  const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return { authorization: `Basic ${Buffer.from(creds).toString("base64")}` };
}

/** Every header of one attempt (also what `callscribe listen` sends when it forwards an event). */
export function deliveryHeaders(
  d: Pick<SendableDelivery, "id" | "url" | "event" | "body" | "authHeaderName" | "authHeaderValue">,
  attemptNo: number,
  keys: Buffer[],
  now: number,
) {
  return {
    ...basicAuthOf(d.url),
    ...(d.authHeaderName && d.authHeaderValue ? { [d.authHeaderName]: d.authHeaderValue } : {}),
    [EVENT_HEADER]: d.event,
    ...signatureHeaders(keys, webhookId(d), Math.floor(now / 1000), d.body),
    "webhook-attempt": String(attemptNo),
  };
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: "delivery" });
  const gate = createHostGate(deps.perHost, deps.circuit);
  /**
   * A claimed delivery whose host's circuit opened, or whose window shrank, before its turn goes
   * back unsent (no attempt spent); an operator's "send now" is sent past an open circuit.
   */
  const release = async (d: SendableDelivery) => {
    gate.released(d.host);
    log.info(
      { deliveryId: d.id, host: d.host },
      "claimed delivery given back unsent: its host's circuit opened or its window shrank",
    );
    try {
      await deps.store.releaseDeliveries([d.id], now(), deps.workerId);
    } catch (err) {
      log.error({ err, deliveryId: d.id }, "could not give back a claimed delivery (its lease will lapse)");
    }
  };
  let retryWake: NodeJS.Timeout | undefined;
  const wakeRetryLane = (inMs: number) => {
    if (inMs === 0) clearTimeout(retryWake);
    else if (retryWake) return; // one is already on its way
    retryWake = setTimeout(() => {
      retryWake = undefined;
      retryLane.kick();
    }, inMs).unref();
  };
  const record = createGroupCommit<AttemptRecord>({
    write: async (batch) => {
      const recorded = await deps.store.recordAttempts(batch, now(), deps.workerId);
      if (recorded < batch.length) {
        log.warn({ skipped: batch.length - recorded }, "attempts not recorded: their lease was taken over");
      }
      // rows leave `delivering` only now: a claim that a shared per-host count (Postgres) held
      // back while they were being recorded may go ahead. The retry lane, idle while first
      // attempts flow, is woken at once for a new retry, else within RETRY_WAKE_MS: a claim and
      // a due-time lookup after every commit were 40 % of the store's calls in a drain
      firstLane.kick();
      if (batch.some((b) => b.update.state === "pending")) wakeRetryLane(0);
      else wakeRetryLane(RETRY_WAKE_MS);
    },
    // larger, rarer commits: each rewrites the same few pages (measured −9 % CPU per delivery vs 32/1)
    maxBatch: 64,
    maxDelayMs: 3,
  });

  /**
   * A slot is free again once its HTTP attempt is over: waiting for the group commit too held
   * each slot ~3 ms longer than the request (−25 % drain). The row stays `delivering` under this
   * worker's lease until the record commits, so nothing can claim it meanwhile; a crash in
   * between re-sends it, as any crash after the request would. Records not yet committed are
   * capped at one per slot (beyond that the slot waits), and `stop` waits for them. Their
   * deliveries go with each claim as `settling`: they no longer load their host.
   */
  const unrecorded = new SlotTable<{ deliveryId: string; recorded: Promise<void> }>();
  const awaitRecordIfBehind = async (deliveryId: string, recorded: Promise<void>) => {
    let slot = -1;
    const tracked = recorded.finally(() => unrecorded.take(slot));
    slot = unrecorded.add({ deliveryId, recorded: tracked });
    if (unrecorded.size > deps.concurrency) return tracked;
    tracked.catch((err: unknown) => log.error({ err }, "could not record a delivery attempt"));
  };

  /** Feeds the gate; a circuit that opens or closes is logged and shared with other workers. */
  const noteResult = (host: string, ok: boolean) => {
    const t = now();
    const change = gate.finished(host, ok, t);
    if (!change) return;
    const { to } = change;
    if (to.state === "open") log.warn({ host, until: new Date(to.until).toISOString() }, "circuit opened");
    else if (to.state === "closed") log.info({ host }, "circuit closed");
    deps.store
      .saveCircuit(toStored(host, to, t))
      .catch((err: unknown) => log.error({ err, host }, "could not record the circuit state"));
  };

  /** Adopts circuits other workers changed (at most once a second). */
  let syncedAt = 0;
  const syncCircuits = async (t: number) => {
    if (t - syncedAt < 1000) return;
    const since = syncedAt - 1000;
    syncedAt = t;
    const shared = await deps.store.listCircuits(since);
    gate.sync(
      shared.map((s) => ({ host: s.host, circuit: fromStored(s), updatedAt: s.updatedAt })),
      t,
    );
  };

  const attempt = async (d: SendableDelivery) => {
    gate.started(d.host);
    const policy = deps.policyFor(d.policy);
    const attemptNo = d.attemptsInSeries + 1;
    const startedAt = now();
    let outcome;
    try {
      outcome = await deps.send({
        url: d.url,
        body: d.body,
        headers: deliveryHeaders(d, attemptNo, deps.signingKeys, startedAt),
        timeoutMs: policy.timeoutMs,
      });
    } finally {
      noteResult(d.host, outcome ? hostAnswered(outcome) : false);
    }
    const decision = decide(outcome, attemptNo, policy, now(), deps.rand);
    const recorded = record({
      attempt: {
        deliveryId: d.id,
        series: d.series,
        attemptNo,
        startedAt,
        latencyMs: outcome.latencyMs,
        statusCode: outcome.statusCode,
        errorClass: outcome.errorClass,
        errorDetail: outcome.errorDetail,
        urlHost: d.host,
        responseSnippet: outcome.responseSnippet,
      },
      update: { state: decision.state, nextAttemptAt: decision.state === "pending" ? decision.at : null },
    });
    await awaitRecordIfBehind(d.id, recorded);
    deps.metrics?.attempt(outcome.errorClass ?? "2xx", outcome.latencyMs);
    if (decision.state !== "pending") deps.metrics?.finished(decision.state);
    log.debug(
      {
        deliveryId: d.id,
        jobId: d.jobId,
        host: d.host,
        attempt: attemptNo,
        statusCode: outcome.statusCode,
        errorClass: outcome.errorClass,
        latencyMs: outcome.latencyMs,
        state: decision.state,
      },
      "webhook attempt",
    );
    if (decision.state === "abandoned")
      log.warn({ deliveryId: d.id, host: d.host }, "webhook delivery abandoned");
  };

  const minBatch = Math.max(1, Math.floor(deps.concurrency / 4));
  const lane = (name: "first" | "retry"): Pump => {
    let lastClaimAt = 0;
    return createPump({
      name: `delivery-${name}`,
      concurrency: deps.concurrency,
      async claim(limit) {
        const t = (lastClaimAt = now());
        await syncCircuits(t);
        const lease = { workerId: deps.workerId, until: t + deps.leaseMs };
        // bodies are read after the claim has committed, never inside its transaction
        const items = await deps.store.claimSendable(t, limit, {
          lane: name,
          lease,
          ...gate.claimOptions(t),
          settling: unrecorded.values().map((u) => u.deliveryId),
        });
        for (const d of items) gate.claimed(d.host);
        return items;
      },
      handle: (d) => (d.forceSend || gate.startable(d.host, now()) ? attempt(d) : release(d)),
      minBatch,
      // slots that free while a claim is on its way start at once (the claim latency measured
      // in bench:delivery, ~3 ms at 10k deliveries/s, is mostly turns of a busy event loop)
      prefetch: minBatch,
      // Rows that were due at the last claim but held back (host at its cap, circuit open) are
      // woken by a finishing attempt or the circuit's reopen time, so only rows that became due
      // after that claim are looked up here (including any that fell due since: no lost wake-up).
      async nextWakeAt() {
        const due = await deps.store.nextDueAt({ lane: name, after: lastClaimAt });
        const reopen = gate.nextReopenAt(now());
        return due === null ? reopen : reopen === null ? due : Math.min(due, reopen);
      },
      logger: log,
      now,
    });
  };

  const firstLane = lane("first");
  const retryLane = lane("retry");
  const lanes = [firstLane, retryLane];
  return {
    gate,
    start: () => lanes.forEach((l) => l.start()),
    kick: () => lanes.forEach((l) => l.kick()),
    stop: async (graceMs) => {
      clearTimeout(retryWake);
      await Promise.all(lanes.map((l) => l.stop(graceMs)));
      await Promise.allSettled(unrecorded.values().map((u) => u.recorded));
    },
    get inFlight() {
      return lanes.reduce((n, l) => n + l.inFlight, 0);
    },
  };
}
