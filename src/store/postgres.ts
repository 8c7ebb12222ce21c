/**
 * Postgres implementation of `Store`: any number of api and worker processes on one database.
 * Claims lock with `FOR UPDATE SKIP LOCKED`, rows carry leases, and changes are announced with
 * `NOTIFY` on the schema's channel so other processes wake without polling. The SQL is in
 * `postgres-sql.ts`.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import pg from "pg";
import type { SharedBlobs } from "./blobs.ts";
import { loadMigrations, pendingMigrations } from "./migrate.ts";
import { listen, type Listener, type ListenerChange } from "./postgres-listener.ts";
import * as Q from "./postgres-sql.ts";
import { SCHEMA_NAME } from "./schema-name.ts";
import {
  attemptFromRow,
  circuitFromRow,
  claimedFromRow,
  contentsFromRows,
  deliveryFromRow,
  deliveryInfoFromRow,
  expiredRow,
  jobFromRow,
  receiverStatsFromRows,
  withContents,
  type Row,
} from "./rows.ts";
import { hostOf, LeaseLostError, type ClaimOptions, type Store } from "./types.ts";

export interface PostgresStoreOptions {
  /** schema to use (created if missing); default `public` */
  schema?: string | undefined;
  poolSize?: number;
  /**
   * Longest wait for a pool connection or a query's answer (default 30 s; 0: none). A database
   * that stops answering (a failover whose old address drops packets) otherwise holds a claim, and
   * the worker's whole lane with it, until TCP gives up many minutes later. A connection whose query
   * timed out is closed, not reused.
   */
  timeoutMs?: number;
}

export interface PostgresStore extends Store {
  /**
   * Calls `listener` with each notification payload (`job:<id>`, `jobs`, `deliveries`) and
   * `onChange` when the listening connection drops or is back (what was announced meanwhile is lost).
   */
  subscribe(listener: (payload: string) => void, onChange?: (change: ListenerChange) => void): Promise<void>;
  /** audio in the database, in 1 MB chunks: readable by workers on any machine */
  blobs: SharedBlobs;
}

const BLOB_CHUNK = 1 << 20;
const HOSTS_TTL_MS = 100;

export async function openPostgresStore(
  url: string,
  opts: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const schema = opts.schema ?? "public";
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  const connection = { connectionString: url, options: `-c search_path=${schema}` };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const bounded = {
    ...connection,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(timeoutMs > 0 && { connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs }),
  };
  const pool = new pg.Pool({ ...bounded, max: opts.poolSize ?? 10 });
  // Claims and attempt records are recoverable: a claim lost in a database crash lapses with its
  // lease, a lost attempt record means the delivery is sent again (at least once, never lost). So
  // they need not wait for the disk: a synchronous commit costs ~3.3 ms here, an asynchronous one
  // ~0.2 ms. Jobs, results and new deliveries still commit synchronously. The delivery worker's
  // statements (claim, body read, next due time, attempt records) always use the generic plan:
  // Postgres otherwise planned every claim again (~0.3 ms, more than running an empty claim), and
  // with 1M pending retries not due a claim took 0.57 ms instead of 0.31.
  const asyncPool = new pg.Pool({
    ...bounded,
    options: `${connection.options} -c synchronous_commit=off -c plan_cache_mode=force_generic_plan`,
    max: 4,
  });
  for (const p of [pool, asyncPool]) {
    p.on("error", () => {
      /* an idle client died (server restart): the pool replaces it on next use */
    });
  }
  await migrate(connection, schema);

  const run = async (q: Q.Sql, client: pg.ClientBase | pg.Pool = pool) =>
    (await client.query(q)).rows as Row[];
  const one = async (q: Q.Sql, client?: pg.ClientBase | pg.Pool) => (await run(q, client))[0];
  const tx = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (err) {
      // a connection that cannot even roll back (timed out, dropped) is closed, not pooled again
      await c.query("ROLLBACK").catch(() => (broken = err as Error));
      throw err;
    } finally {
      c.release(broken);
    }
  };
  const listeners: Listener[] = [];
  /**
   * Wakes other processes once a write has committed, in a statement of its own. A NOTIFY inside
   * the write's transaction holds Postgres's notify lock through the commit's flush to disk, so
   * every notifying write committed one at a time (jobs created 10 at once, bench:delivery:
   * 1,455–1,575/s with it inside, 2,691–3,017/s after). Not awaited: notifications are only
   * wake-ups, and one lost to a crash right after the commit is found by the pollers (POLL_MS)
   * and by inline waiters' own polling.
   */
  const announce = (...payloads: string[]) => {
    asyncPool.query(Q.notify(schema, ...payloads)).catch(() => {});
  };

  // A full window that yields less than the batch: hosts that may take no more crowd it, so the
  // claim goes on with the first rows of every host that was not in it, and forced rows (see
  // dueRows in postgres-sql.ts). Which hosts have pending rows is read at most every
  // HOSTS_TTL_MS per lane: with one busy host at its cap, reading it for every claim tripled the
  // round trips of a drain (bench:delivery); a host new since then waits that long at most.
  const hostsRead = new Map<Q.Lane, { at: number; hosts: string[] }>();
  const hostsWithPending = async (lane: Q.Lane) => {
    const t = performance.now();
    const cached = hostsRead.get(lane);
    if (cached && t - cached.at < HOSTS_TTL_MS) return cached.hosts;
    const hosts = (await run(Q.hostsWithPending(lane), asyncPool)).map((r) => String(r.host));
    hostsRead.set(lane, { at: t, hosts });
    return hosts;
  };
  const claimDue = async (now: number, limit: number, o: ClaimOptions = {}) => {
    const lane = o.lane ?? "any";
    const claimFrom = async (n: number, hosts?: string[]) => {
      const rows = await run(Q.claimDeliveries(lane, now, n, o, hosts), asyncPool);
      const head = rows[0];
      return {
        full: Number(head?.window_rows ?? 0) === n,
        hosts: (head?.window_hosts ?? []) as string[],
        forcedDue: head?.forced_due === true,
        rows: rows.filter((r) => r.id !== null),
      };
    };
    const head = await claimFrom(limit);
    let rows = head.rows;
    if (rows.length < limit && head.full) {
      const inWindow = new Set(head.hosts);
      const others = (await hostsWithPending(lane)).filter((h) => !inWindow.has(h));
      if (others.length > 0 || head.forcedDue) {
        rows = rows.concat((await claimFrom(limit - rows.length, others)).rows);
      }
    }
    const claimed = rows.map(claimedFromRow);
    return claimed.sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.seq - b.seq);
  };
  // the sender's reads go with its writes: generic plans, no planning per batch
  const contents = async (ids: string[]) => contentsFromRows(await run(Q.deliveryContents(ids), asyncPool));
  const release = async (ids: string[], now: number, workerId: string) =>
    (await asyncPool.query(Q.releaseDeliveries(ids, now, workerId))).rowCount ?? 0;

  return {
    async createJob(job) {
      await run(Q.insertJob(job));
      announce("jobs");
    },
    async getJob(id) {
      const r = await one(Q.getJob(id));
      return r ? jobFromRow(r) : null;
    },
    async listJobs(q) {
      return (await pool.query(Q.listJobs(q))).rows.map(jobFromRow);
    },
    async deleteJobData(id, now) {
      return tx(async (c) => {
        if ((await c.query(Q.deleteJob(id, now))).rowCount !== 1) return false;
        await run(Q.emptyJobBodies(id, now), c);
        return true;
      });
    },
    async expiredJobs(now, limit) {
      const [audio, data] = await Promise.all([
        pool.query(Q.expiredAudio(now, limit)),
        pool.query(Q.expiredData(now, limit)),
      ]);
      return {
        audio: audio.rows.map((r: Record<string, unknown>) => ({
          ...expiredRow(r),
          audioName: String(r.audio_name),
        })),
        data: data.rows.map(expiredRow),
      };
    },
    async forgetAudio(id) {
      await run(Q.forgetAudio(id));
    },
    async usageSeconds(owner, since) {
      return Number((await one(Q.usageSeconds(owner, since)))!.s);
    },
    async countJobs(status) {
      return Number((await one(Q.countJobs(status)))!.n);
    },
    async claimNextJob(now, lease) {
      const r = await one(Q.claimJob(now, lease));
      return r ? jobFromRow(r) : null;
    },
    async setJobProgress(id, workerId, progress) {
      await run(Q.setJobProgress(id, workerId, progress));
    },
    async extendJobLease(id, lease) {
      return (await pool.query(Q.extendJobLease(id, lease))).rowCount === 1;
    },
    async finishJob(id, outcome, delivery, now, followUp = null, workerId) {
      await tx(async (c) => {
        const done = await c.query(Q.finishJob(id, outcome, now, workerId ?? null));
        if (done.rowCount !== 1) {
          if (await one(Q.getJob(id), c)) throw new LeaseLostError(`job ${id}`);
          throw new Error(`job ${id} not found`);
        }
        if (delivery) {
          await run(Q.lockEventSequence(), c);
          await run(Q.insertDelivery(delivery, id, hostOf(delivery.url), now), c);
        }
        if (followUp) await run(Q.insertJob(followUp), c);
      });
      announce(...(delivery ? ["deliveries"] : []), ...(followUp ? ["jobs"] : []), `job:${id}`);
    },
    async expireLeases(now, o = {}) {
      const cutoff = o.all ? Number.MAX_SAFE_INTEGER : now;
      const jobs = (await pool.query(Q.expireJobs(now, cutoff))).rowCount ?? 0;
      const deliveries = (await pool.query(Q.expireDeliveries(now, cutoff))).rowCount ?? 0;
      return { jobs, deliveries };
    },

    claimDueDeliveries: claimDue,
    async claimSendable(now, limit, o) {
      const claimed = await claimDue(now, limit, o);
      if (claimed.length === 0) return [];
      const ids = claimed.map((d) => d.id);
      try {
        return withContents(claimed, await contents(ids));
      } catch (err) {
        // the claim has committed: give the rows back now rather than when the lease lapses
        if (o?.lease) await release(ids, now, o.lease.workerId).catch(() => 0);
        throw err;
      }
    },
    async saveCircuit(circuit) {
      await run(Q.saveCircuit(circuit));
    },
    async listCircuits(since = Number.MAX_SAFE_INTEGER) {
      return (await run(Q.listCircuits(since))).map(circuitFromRow);
    },
    async inFlightByHost(hosts) {
      return new Map((await run(Q.inFlightByHost(hosts))).map((r) => [String(r.host), Number(r.n)]));
    },
    deliveryContents: contents,
    async recordAttempts(batch, now, workerId) {
      if (batch.length === 0) return 0;
      return (await asyncPool.query(Q.recordAttempts(batch, now, workerId ?? null))).rowCount ?? 0;
    },
    releaseDeliveries: release,
    async nextDueAt(o = {}) {
      const t = (await one(Q.nextDueAt(o.lane ?? "any", o.after ?? -1), asyncPool))!.t;
      return t == null ? null : Number(t);
    },
    async countDeliveries(state) {
      return Number((await one(Q.countDeliveries(state)))!.n);
    },
    async listEvents(after, limit, owner) {
      return (await run(Q.listEvents(after, limit, owner ?? null))).map(deliveryFromRow);
    },
    async eventSeqBefore(since) {
      return Number((await one(Q.eventSeqBefore(since)))!.seq);
    },
    async findDeliveries(filter) {
      return (await run(Q.findDeliveries(filter))).map(deliveryInfoFromRow);
    },
    async getDelivery(id) {
      const r = await one(Q.getDelivery(id));
      return r ? deliveryFromRow(r) : null;
    },
    async listDeliveries(filter) {
      return (await run(Q.listDeliveries(filter))).map(deliveryInfoFromRow);
    },
    async receiverStats({ since, now, bucketMs, owner }) {
      const o = owner ?? null;
      const [summary, buckets, pending] = await Promise.all([
        run(Q.receiverSummary(since, now, o)),
        run(Q.receiverBuckets(since, now, o, bucketMs)),
        run(Q.pendingByHost(o)),
      ]);
      return receiverStatsFromRows(summary, buckets, pending, Math.ceil((now - since) / bucketMs));
    },
    async deliveriesForJob(jobId) {
      return (await run(Q.deliveriesForJob(jobId))).map(deliveryInfoFromRow);
    },
    async attemptsFor(deliveryId) {
      return (await run(Q.attemptsFor(deliveryId))).map(attemptFromRow);
    },
    async restartDelivery(id, now, change = {}) {
      const r = await one(Q.restartDelivery(id, now, change, change.url ? hostOf(change.url) : null));
      if (r) announce("deliveries");
      return r ? deliveryFromRow(r) : null;
    },
    blobs: {
      async put(name, file) {
        await tx(async (c) => {
          await run(Q.removeBlob(name), c);
          let seq = 0;
          for await (const chunk of createReadStream(file, { highWaterMark: BLOB_CHUNK })) {
            await run(Q.putBlobChunk(name, seq++, chunk as Buffer), c);
          }
        });
      },
      async fetch(name, dest) {
        // one chunk per query: memory stays at one chunk whatever the call's length
        const out = createWriteStream(dest);
        try {
          for (let seq = 0; ; seq++) {
            const r = await one(Q.getBlobChunk(name, seq));
            if (!r) {
              if (seq === 0) throw new Error(`no audio blob ${name} in the database`);
              break;
            }
            if (!out.write(r.data as Buffer)) await once(out, "drain");
          }
        } finally {
          out.end();
          await once(out, "close");
        }
      },
      async remove(name) {
        await run(Q.removeBlob(name));
      },
    },
    async subscribe(fn, onChange) {
      listeners.push(
        await listen({
          connection,
          channel: Q.channelOf(schema),
          onNotification: fn,
          ...(onChange && { onChange }),
        }),
      );
    },
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
      await Promise.all([pool.end(), asyncPool.end()]);
    },
  };
}

/**
 * Applies pending migrations once, even with several processes starting together (advisory lock),
 * on a connection of its own with no time limit: building an index on a large table takes long.
 */
async function migrate(connection: pg.ClientConfig, schema: string): Promise<void> {
  const c = new pg.Client(connection);
  await c.connect();
  try {
    await c.query("SELECT pg_advisory_lock(7411000)");
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const applied = (await c.query("SELECT version FROM schema_migrations")).rows.map((r: Row) =>
      Number(r.version),
    );
    for (const m of pendingMigrations(loadMigrations("postgres"), applied)) {
      await c.query("BEGIN");
      try {
        await c.query(m.sql);
        await c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
          m.version,
          m.name,
          Date.now(),
        ]);
        await c.query("COMMIT");
      } catch (err) {
        await c.query("ROLLBACK");
        throw err;
      }
    }
  } finally {
    await c.query("SELECT pg_advisory_unlock(7411000)").catch(() => {});
    await c.end();
  }
}
