/**
 * A worker-role process serves no API, but with WORKER_HEALTH_PORT it answers /healthz, /readyz
 * and /metrics, so an orchestrator can probe it and Prometheus can scrape it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { dropSchema, freshSchema, PG_URL } from "./helpers/postgres.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const schema = freshSchema();
let worker: TestServer;
before(async () => {
  worker = await startTestServer(
    { WORKER_HEALTH_PORT: "0", API_KEYS: "ops-key", DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema },
    { role: "worker" },
  );
});
after(async () => {
  await worker.cleanup();
  await dropSchema(schema);
});

test("health, readiness and metrics on the worker's port; no API there", async () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${worker.url}${path}`, { headers });
  assert.equal((await get("/healthz")).status, 200);
  const ready = await get("/readyz");
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { status: string }).status, "ready");
  assert.equal((await get("/metrics")).status, 401, "metrics need a key like everywhere else");
  const metrics = await get("/metrics", { apikey: "ops-key" });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /callscribe_/);
  assert.equal((await get("/transcribe/x", { apikey: "ops-key" })).status, 404);
});
