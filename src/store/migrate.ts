/**
 * Versioned migrations: numbered `.sql` files in `migrations/<dialect>/`, each applied once, in
 * order, inside a transaction, and recorded in `schema_migrations`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dialect: "sqlite" | "postgres"): Migration[] {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations", dialect);
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .map((f) => ({
      version: Number.parseInt(f, 10),
      name: f,
      sql: readFileSync(path.join(dir, f), "utf8"),
    }))
    .sort((a, b) => a.version - b.version);
}

/** Which migrations still need to run, given the versions already recorded. */
export function pendingMigrations(all: Migration[], applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  return all.filter((m) => !done.has(m.version));
}
