/**
 * The connection a process LISTENs on. Notifications are only wake-ups (pollers find the work
 * without them), but a connection that dropped (a database restart or failover, a proxy's idle
 * timeout) used to stay down, leaving the process on `POLL_MS` for good. It is opened again, with
 * backoff, and `restored` says so: whatever was announced while it was down is lost.
 */
import pg from "pg";

export type ListenerChange = { state: "lost"; error: string } | { state: "restored" };

export interface ListenOptions {
  connection: pg.ClientConfig;
  channel: string;
  onNotification(payload: string): void;
  onChange?(change: ListenerChange): void;
  /** first and longest wait before opening it again */
  backoffMs?: { min: number; max: number };
}

export interface Listener {
  close(): Promise<void>;
}

/** Shown in `pg_stat_activity`, so an operator can tell the listening connection apart. */
export const LISTENER_APPLICATION_NAME = "callscribe-listen";

/** Resolves once listening; rejects if the first connection fails (the caller's start-up fails). */
export async function listen(o: ListenOptions): Promise<Listener> {
  const { min, max } = o.backoffMs ?? { min: 100, max: 5000 };
  let closed = false;
  let current: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const open = async () => {
    // keep-alive: an idle connection a NAT or load balancer forgets would otherwise never end here
    const c = new pg.Client({
      ...o.connection,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
    });
    c.on("error", () => {}); // until it listens, failures reach the caller as a rejection
    c.on("notification", (n) => o.onNotification(n.payload ?? ""));
    try {
      await c.connect();
      await c.query(`LISTEN ${o.channel}`);
    } catch (err) {
      void c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    current = c;
    const lost = (err?: Error) => {
      if (current !== c) return; // the "error" and the "end" of one drop
      current = undefined;
      void c.end().catch(() => {});
      if (closed) return;
      o.onChange?.({ state: "lost", error: err?.message ?? "the connection ended" });
      reopen(min);
    };
    c.on("error", lost);
    c.on("end", () => lost());
  };

  const reopen = (waitMs: number) => {
    timer = setTimeout(() => {
      open().then(
        () => {
          if (!closed) o.onChange?.({ state: "restored" });
        },
        () => {
          if (!closed) reopen(Math.min(waitMs * 2, max));
        },
      );
    }, waitMs);
    timer.unref();
  };

  await open();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = current;
      current = undefined;
      await c?.end().catch(() => {});
    },
  };
}
