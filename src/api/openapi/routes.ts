/**
 * `GET /openapi.json` (the generated document) and `GET /docs` (Swagger UI over it, its files
 * served from the @fastify/swagger-ui package: no CDN, works offline). Both are open, like
 * `/healthz`: the description holds no data, and a browser page cannot send the `apikey` header
 * (Swagger UI's "Authorize" takes the key for "Try it out").
 *
 * It also records every route registered after it (Fastify's `onRoute`), so test/openapi.test.ts
 * can check each one is described.
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

/** Built on first use (~0.1 s of schema conversion) and kept: it depends on `apiKeys` only. */
const documents = new Map<boolean, Record<string, unknown>>();
export function openApiDocument(apiKeys: boolean): Record<string, unknown> {
  let doc = documents.get(apiKeys);
  if (!doc) documents.set(apiKeys, (doc = buildOpenApiDocument({ apiKeys })));
  return doc;
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

  const document = () => openApiDocument(opts.apiKeys);
  app.get("/openapi.json", async () => document());
  // @fastify/swagger only hands a document to the UI (static mode: nothing is generated there); the
  // UI asks for ours through transformSpecification, so it is built when first shown
  const placeholder = { openapi: "3.1.0", info: { title: "callscribe", version: "" }, paths: {} };
  await app.register(swagger, {
    mode: "static",
    specification: { document: placeholder } as unknown as StaticDocumentSpec,
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    theme: { title: "callscribe API" },
    uiConfig: { deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
    transformSpecification: () => document(),
    transformSpecificationClone: false,
  });
}
