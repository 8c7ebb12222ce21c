/**
 * `GET /openapi.json` (the generated document) and `GET /docs` (Swagger UI over it, its files
 * served from the @fastify/swagger-ui package: no CDN, works offline). Both are open, like
 * `/healthz`: the description holds no data, and a browser page cannot send the `apikey` header
 * (Swagger UI's "Authorize" takes the key for "Try it out").
 *
 * It also records every route registered after it (Fastify's `onRoute`), so the test can check
 * each one is described, and the server logs any that is not when it starts.
 */
import swagger, { type StaticDocumentSpec } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { buildOpenApiDocument, openApiPath } from "./document.ts";

/** Browser pages, not API: left out of the document. */
const PAGES = [/^\/docs(\/|$)/, /^\/console(\/|$)/];
export const OPENAPI_OPEN_PATHS = ["/openapi.json", "/docs", "/docs/"];

export interface RegisteredRoute {
  method: string;
  url: string;
}

const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** The API routes registered after `registerOpenApi` (HEAD twins, hidden routes and pages left out). */
export const registeredRoutes = (app: FastifyInstance): RegisteredRoute[] => registered.get(app) ?? [];

/** Routes the server serves that the document does not describe, as `METHOD /path`. Pure. */
export function undocumented(routes: readonly RegisteredRoute[], doc: Record<string, unknown>): string[] {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
  return routes
    .filter((r) => !paths[openApiPath(r.url)]?.[r.method.toLowerCase()])
    .map((r) => `${r.method} ${r.url}`);
}

/** Call before any other route is added; `apiKeys`: the server has API_KEYS. */
export async function registerOpenApi(app: FastifyInstance, opts: { apiKeys: boolean }): Promise<void> {
  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook("onRoute", (r) => {
    const hidden = (r.schema as { hide?: boolean } | undefined)?.hide === true;
    if (hidden || PAGES.some((p) => p.test(r.url))) return;
    for (const method of [r.method].flat()) if (method !== "HEAD") routes.push({ method, url: r.url });
  });

  const document = buildOpenApiDocument(opts);
  app.get("/openapi.json", async () => document);
  // static mode: @fastify/swagger only hands our document to the UI (nothing is generated there)
  const spec = { document } as unknown as StaticDocumentSpec;
  await app.register(swagger, { mode: "static", specification: spec });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    theme: { title: "callscribe API" },
    uiConfig: { deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
  });
  app.addHook("onReady", async () => {
    const missing = undocumented(routes, document);
    if (missing.length) app.log.warn({ routes: missing }, "routes missing from /openapi.json");
  });
}
