/**
 * Webhook receiver for benchmarks, run as a separate process (so it doesn't share the server's
 * event loop): answers 200 to every POST and records enqueue→receive latency from the body's
 * `enqueued_at`. Talks to its parent over IPC: sends {port}, answers "stats" and "reset".
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

let latencies: number[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { enqueued_at?: number };
      if (typeof body.enqueued_at === "number") latencies.push(at - body.enqueued_at);
      else latencies.push(-1);
    } catch {
      latencies.push(-1);
    }
    res.writeHead(200, { "content-length": "2" }).end("ok");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on("message", (m) => {
  if (m === "stats") process.send?.({ count: latencies.length, latencies });
  if (m === "count") process.send?.({ count: latencies.length });
  if (m === "reset") latencies = [];
  if (m === "exit") server.close(() => process.exit(0));
});
