/**
 * The operator console (`/console`): a static page, its ES modules (`web/`, no build step) and
 * Preact + htm straight from node_modules, all served by this process (nothing from a CDN).
 * These files are public; every figure the page shows comes from the API with the operator's key
 * (kept in sessionStorage by the page, sent as the `apikey` header).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AppError } from "../core/errors.ts";

/** The front-end sources; `npm run build` copies them beside the compiled file. */
export const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "web");

/** Paths the auth hook leaves open: the page and its static files (never data). */
export const CONSOLE_OPEN_PATHS = ["/console", "/console/"];

/** The vendored ES modules the import map names, resolved the way Node resolves them. */
const VENDOR: Record<string, string> = {
  "preact.mjs": "preact",
  "hooks.mjs": "preact/hooks",
  "htm.mjs": "htm",
};

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".html": "text/html; charset=utf-8",
};

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: "./console/vendor/preact.mjs",
    "preact/hooks": "./console/vendor/hooks.mjs",
    htm: "./console/vendor/htm.mjs",
  },
});

/** Pure: the page, with the import map inline (its hash goes into the CSP). */
export function consolePage(): { html: string; csp: string } {
  const hash = createHash("sha256").update(IMPORT_MAP).digest("base64");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>callscribe console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./console/console.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="./console/app.js"></script>
</head>
<body><div id="app"><p class="boot">Loading the console…</p></div></body>
</html>
`;
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return { html, csp };
}

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9]+)+$/i;

export function registerConsole(app: FastifyInstance): void {
  const page = consolePage();
  const cache = new Map<string, Buffer>();
  const load = async (file: string) => {
    let body = cache.get(file);
    if (!body) {
      body = await readFile(file);
      cache.set(file, body);
    }
    return body;
  };
  const common = (reply: FastifyReply) =>
    reply
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-cache");
  const missing = (what: string) => new AppError("not_found", `no console file ${what}`);

  app.get("/console", async (_req, reply) =>
    common(reply)
      .header("content-security-policy", page.csp)
      .header("x-frame-options", "DENY")
      .type("text/html; charset=utf-8")
      .send(page.html),
  );
  // relative URLs in the page resolve against /console, not /console/
  app.get("/console/", async (_req, reply) => reply.redirect("../console"));

  app.get<{ Params: { name: string } }>("/console/vendor/:name", async (req, reply) => {
    const spec = VENDOR[req.params.name];
    if (!spec) throw missing(`vendor/${req.params.name}`);
    const file = fileURLToPath(import.meta.resolve(spec));
    return common(reply)
      .type(TYPES[".mjs"]!)
      .send(await load(file));
  });

  app.get<{ Params: { name: string } }>("/console/:name", async (req, reply) => {
    const { name } = req.params;
    const type = TYPES[path.extname(name)];
    if (!SAFE_NAME.test(name) || !type || name.endsWith(".html")) throw missing(name);
    let body: Buffer;
    try {
      body = await load(path.join(WEB_DIR, name));
    } catch {
      throw missing(name);
    }
    return common(reply).type(type).send(body);
  });
}
