#!/usr/bin/env node
// `callscribe` (the package's bin). Runs the compiled CLI (dist/, from `npm run build`) when it is
// there and no older than src/cli, else the TypeScript source through tsx, so the command works on
// a fresh clone right after `npm ci`, without a build.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const compiled = path.join(root, "dist", "src", "cli", "main.js");
const sources = path.join(root, "src", "cli");

function compiledIsCurrent() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(sources)) return true; // installed without its sources
  const built = statSync(compiled).mtimeMs;
  return readdirSync(sources).every((f) => statSync(path.join(sources, f)).mtimeMs <= built);
}

let entry = compiled;
if (!compiledIsCurrent()) {
  const { register } = await import("tsx/esm/api");
  register();
  entry = path.join(sources, "main.ts");
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv);
