#!/usr/bin/env node
// `callscribe` (the package's bin). Runs the compiled CLI (dist/, from `npm run build`) when it is
// there and no older than the sources it is built from, else the TypeScript source through tsx, so
// the command works on a fresh clone right after `npm ci`, without a build, and never runs stale code.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const compiled = path.join(root, "dist", "src", "cli", "main.js");
/** what the CLI imports: a newer file in one of these means the build is out of date */
const sourceDirs = ["cli", "delivery", "net", "worker"].map((d) => path.join(root, "src", d));

const newest = (dir) =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
    ),
  );

function compiledIsCurrent() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(sourceDirs[0])) return true; // installed without its sources
  const built = statSync(compiled).mtimeMs;
  return sourceDirs.every((d) => !existsSync(d) || newest(d) <= built);
}

let entry = compiled;
if (!compiledIsCurrent()) {
  const { register } = await import("tsx/esm/api");
  register();
  entry = path.join(root, "src", "cli", "main.ts");
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv);
