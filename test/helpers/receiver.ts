/**
 * A webhook receiver on 127.0.0.1 for tests: records every request and answers according to a
 * script of behaviours (status codes, "hang", or "reset"), the last one repeating.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour =
  | number
  | "hang"
  | "reset"
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export interface Received {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
  answered: Behaviour;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** requests that got a 2xx */
  acknowledged(): Received[];
  setScript(script: Behaviour[]): void;
  /** resolves when at least `n` requests have arrived */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

const statusOf = (b: Behaviour) => (typeof b === "number" ? b : typeof b === "object" ? b.status : 999);

export async function startReceiver(script: Behaviour[] = [200], port = 0): Promise<Receiver> {
  let steps = [...script];
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const behaviour = (steps.length > 1 ? steps.shift() : steps[0]) ?? 200;
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* not JSON: kept as text */
      }
      received.push({
        at: Date.now(),
        path: req.url ?? "",
        headers: req.headers,
        body,
        json,
        answered: behaviour,
      });
      waiters.splice(0).forEach((w) => w());
      if (behaviour === "hang") hanging.add(res);
      else if (behaviour === "reset") req.socket.destroy();
      else if (typeof behaviour === "number") {
        res.writeHead(behaviour, { "content-type": "text/plain" }).end(`answer ${behaviour}`);
      } else {
        const answer = () =>
          res
            .writeHead(behaviour.status, { "content-type": "text/plain", ...behaviour.headers })
            .end(behaviour.body ?? `answer ${behaviour.status}`);
        if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
        else answer();
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    received,
    acknowledged: () => received.filter((r) => statusOf(r.answered) < 300),
    setScript: (s) => (steps = [...s]),
    async waitFor(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${n} requests`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return received;
    },
    async close() {
      hanging.forEach((r) => r.destroy());
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
