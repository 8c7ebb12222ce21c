/**
 * The LISTEN connection through a loopback TCP relay to the real server, so the test can cut it
 * and keep the database unreachable for a while: the listener backs off, listens again once it
 * can, and says so.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import pg from "pg";
import { listen, type ListenerChange } from "../src/store/postgres-listener.ts";
import { PG_URL } from "./helpers/postgres.ts";

/** Relays connections to the database; while `down`, accepts and drops them at once. */
async function startRelay() {
  const target = new URL(PG_URL);
  const open = new Set<net.Socket>();
  const relay = { down: false, refused: 0 };
  const server = net.createServer((client) => {
    if (relay.down) {
      relay.refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(PG_URL);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    relay,
    cut() {
      relay.down = true;
      for (const s of open) s.destroy();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = async (done: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

describe("postgres listener", () => {
  it("backs off while the database is unreachable, listens again once it is back, and says so", async () => {
    const relay = await startRelay();
    const channel = `callscribe_listener_test_${process.pid}`;
    const heard: string[] = [];
    const changes: ListenerChange["state"][] = [];
    const listener = await listen({
      connection: { connectionString: relay.url },
      channel,
      onNotification: (p) => heard.push(p),
      onChange: (c) => changes.push(c.state),
      backoffMs: { min: 50, max: 400 },
    });
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    try {
      await db.query(`SELECT pg_notify($1, 'before')`, [channel]);
      await until(() => heard.length === 1);
      assert.deepEqual(heard, ["before"]);

      relay.cut();
      await until(() => changes.length === 1);
      assert.deepEqual(changes, ["lost"]);
      // down for 1.2 s: tries after 50, 100, 200, 400, 400 ms… (at most 6), not in a loop
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(
        relay.relay.refused >= 3 && relay.relay.refused <= 6,
        `${relay.relay.refused} tries while down`,
      );
      await db.query(`SELECT pg_notify($1, 'while down')`, [channel]);

      relay.relay.down = false;
      await until(() => changes.length === 2);
      assert.deepEqual(changes, ["lost", "restored"]);
      await db.query(`SELECT pg_notify($1, 'after')`, [channel]);
      await until(() => heard.length === 2);
      assert.deepEqual(heard, ["before", "after"], "what was announced while down is lost");
    } finally {
      await db.end();
      await listener.close();
      await relay.close();
    }
  });

  it("rejects when the first connection fails, and stays closed once closed", async () => {
    const relay = await startRelay();
    relay.relay.down = true;
    await assert.rejects(
      listen({ connection: { connectionString: relay.url }, channel: "c", onNotification: () => {} }),
    );
    relay.relay.down = false;
    const changes: string[] = [];
    const listener = await listen({
      connection: { connectionString: relay.url },
      channel: "c",
      onNotification: () => {},
      onChange: (c) => changes.push(c.state),
      backoffMs: { min: 20, max: 20 },
    });
    await listener.close();
    relay.cut();
    relay.relay.down = false;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(changes, [], "a closed listener neither reports nor reconnects");
    assert.equal(relay.relay.refused, 1, "only the first, failed connection was refused");
    await relay.close();
  });
});
