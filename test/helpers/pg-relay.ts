/**
 * A loopback TCP relay in front of the test database, so a test can make the database drop its
 * connections, refuse new ones, or stop answering (a failover whose old address drops packets).
 */
import net from "node:net";
import { PG_URL } from "./postgres.ts";

export type RelayMode = "forward" | "refuse" | "stall";

export async function startPgRelay() {
  const target = new URL(PG_URL);
  const pairs = new Set<[net.Socket, net.Socket | null]>();
  const state = { mode: "forward" as RelayMode, refused: 0 };
  const server = net.createServer((client) => {
    client.on("error", () => {});
    if (state.mode === "refuse") {
      state.refused++;
      client.destroy();
      return;
    }
    if (state.mode === "stall") {
      const pair: [net.Socket, null] = [client, null];
      pairs.add(pair);
      client.on("close", () => pairs.delete(pair));
      return; // accepted, never answered
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    upstream.on("error", () => {});
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    // either side gone ends the other: a pipe ends its target only on a clean end, not on a
    // destroyed socket, and a leftover connection to the database keeps the test process alive
    const gone = (other: net.Socket) => () => {
      other.destroy();
      if (client.destroyed && upstream.destroyed) pairs.delete(pair);
    };
    client.on("close", gone(upstream));
    upstream.on("close", gone(client));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  /** closes every open connection (as a database restart does) */
  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream?.destroy();
    }
  };
  const url = new URL(PG_URL);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    state,
    /** new connections are accepted and closed at once */
    refuse: () => (state.mode = "refuse"),
    /** nothing more passes either way on open connections, and new ones are never answered */
    stall() {
      state.mode = "stall";
      for (const [client, upstream] of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    cut,
    /** relays new connections again (stalled ones stay stalled until cut) */
    forward: () => (state.mode = "forward"),
    close() {
      cut();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
