/**
 * `GET /openapi.json` (the generated document) and `GET /docs` (Swagger UI over it). Both are open,
 * like `/healthz`: the description holds no data, and a browser page cannot send the `apikey`
 * header (Swagger UI's "Authorize" takes the key for "Try it out").
 *
 * The page is Swagger UI's own bundle and stylesheet, read from the @fastify/swagger-ui package
 * (which ships them) when asked for: no CDN, works offline, and nothing of it is loaded into the
 * server's memory until someone opens the page (the plugin itself, with @fastify/static and its
 * dependencies, cost ~11 MB of RSS in every api process).
 *
 * It also records every route registered after it (Fastify's `onRoute`), so test/openapi.test.ts
 * can check each one is described.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { AppError } from "../../core/errors.ts";
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

const UI_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@fastify/swagger-ui")),
  "static",
);
const ASSETS: Record<string, string> = {
  "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// relative URLs: the page works behind a proxy that mounts the server under a path
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>callscribe API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<style>body { margin: 0; background: #fafafa; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  defaultModelsExpandDepth: 0,
  validatorUrl: null,
});
`;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Call before any other route is added; `apiKeys`: the server has API_KEYS. */
export function registerOpenApi(app: FastifyInstance, opts: { apiKeys: boolean }): void {
  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook("onRoute", (r) => {
    const hidden = (r.schema as { hide?: boolean } | undefined)?.hide === true;
    if (hidden || PAGES.some((p) => p.test(r.url))) return;
    for (const method of [r.method].flat()) if (method !== "HEAD") routes.push({ method, url: r.url });
  });

  app.get("/openapi.json", async () => openApiDocument(opts.apiKeys));

  app.get("/docs", async (_req, reply) =>
    reply
      .header("content-security-policy", CSP)
      .header("x-content-type-options", "nosniff")
      .header("cache-control", "no-cache")
      .type("text/html; charset=utf-8")
      .send(PAGE),
  );
  app.get("/docs/", async (_req, reply) => reply.redirect("../docs"));
  app.get<{ Params: { name: string } }>("/docs/assets/:name", async (req, reply) => {
    const { name } = req.params;
    void reply.header("x-content-type-options", "nosniff");
    if (name === "init.js") return reply.type("application/javascript; charset=utf-8").send(INIT);
    const type = ASSETS[name];
    if (!type) throw new AppError("not_found", `no docs file ${name}`);
    return reply
      .header("cache-control", "public, max-age=86400")
      .type(type)
      .send(await readFile(path.join(UI_DIR, name)));
  });
}
