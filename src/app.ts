/**
 * Builds the Fastify app from already-constructed parts (no I/O of its own), so tests can
 * assemble it with whatever store, runner and guard they need.
 */
import { randomUUID } from "node:crypto";
import multipart from "@fastify/multipart";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { registerDeliveryRoutes } from "./api/admin/deliveries-routes.ts";
import { audioUrlOwner, createAudioTokens } from "./api/admin/audio.ts";
import { registerCallsRoutes } from "./api/admin/calls-routes.ts";
import { registerReceiversRoutes } from "./api/admin/receivers-routes.ts";
import { CONSOLE_OPEN_PATHS, registerConsole } from "./console/routes.ts";
import { registerApiKeyAuth, type ApiKey } from "./api/auth.ts";
import { registerTranscribeRoutes } from "./api/call/transcribe-routes.ts";
import { registerJobsApi, type JobsApiDeps } from "./api/v1/routes.ts";
import { registerSummarizeRoutes } from "./api/call/summarize-routes.ts";
import { registerErrorHandling } from "./api/errors.ts";
import { registerReadiness, type ReadinessDeps } from "./api/readiness.ts";
import { OPENAPI_OPEN_PATHS, registerOpenApi } from "./api/openapi/routes.ts";
import type { Metrics } from "./metrics.ts";

export interface AppDeps extends JobsApiDeps {
  logger: Logger;
  apiKeys: readonly ApiKey[];
  maxUploadBytes: number;
  onRedeliver(): void;
  perHost: number;
  metrics: Metrics;
  readiness: ReadinessDeps;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  const maxUploadMb = Math.round((deps.maxUploadBytes / 1048576) * 100) / 100;
  registerErrorHandling(app, maxUploadMb);
  await app.register(multipart, {
    limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 32, fieldSize: 64 * 1024, parts: 40 },
    throwFileSizeLimit: true,
  });
  const audioTokens = createAudioTokens(deps.apiKeys);
  registerApiKeyAuth(
    app,
    deps.apiKeys,
    [...OPEN_PATHS, ...CONSOLE_OPEN_PATHS, ...OPENAPI_OPEN_PATHS],
    audioUrlOwner(audioTokens),
  );
  // first: it records the routes registered after it, to check each is described
  registerOpenApi(app, { apiKeys: deps.apiKeys.length > 0 });
  registerOps(app, deps);
  registerTranscribeRoutes(app, deps);
  registerSummarizeRoutes(app, deps);
  registerDeliveryRoutes(app, deps);
  registerJobsApi(app, deps);
  registerCallsRoutes(app, { ...deps, audioTokens });
  registerReceiversRoutes(app, deps);
  registerConsole(app);
  return app;
}

export type OpsDeps = Pick<AppDeps, "logger" | "apiKeys" | "metrics" | "readiness">;

const OPEN_PATHS = ["/healthz", "/readyz"];

/** Liveness, readiness and metrics: every process has them. */
function registerOps(app: FastifyInstance, deps: OpsDeps): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  registerReadiness(app, deps.readiness);
  app.get("/metrics", async (_req, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
}

/**
 * What a worker-role process serves (on WORKER_HEALTH_PORT): `/healthz`, `/readyz`, `/metrics`,
 * so an orchestrator can probe it and Prometheus can scrape its delivery and job figures.
 */
export async function buildOpsApp(deps: OpsDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger });
  registerErrorHandling(app, 0);
  registerApiKeyAuth(app, deps.apiKeys, OPEN_PATHS);
  registerOps(app, deps);
  return app;
}
