/**
 * Untrusted request input (JSON bodies, form fields, query strings) → typed values, with errors a
 * client can branch on: `unknown_field` (with "did you mean …?" for near misses),
 * `conflicting_fields` (a name and its alias both sent), `missing_field`, `invalid_field`.
 * Every route parses its input through `parseInput`.
 */
import type { z } from "zod";
import { AppError } from "../core/errors.ts";

type Input = Record<string, unknown>;

export function requireObject(input: unknown, what = "request body"): Input {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new AppError("invalid_field", `${what} must be a JSON object`, { field: "body" });
  }
  return input as Input;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a typo. */
export function suggestField(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, "_");
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(norm(name), norm(k));
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(1, Math.min(3, Math.floor(best.name.length / 4))) ? best.name : undefined;
}

/** Renames accepted aliases to their canonical names; both sent → 400. Pure. */
export function applyAliases(input: Input, aliases: Record<string, string>): Input {
  const out: Input = { ...input };
  for (const [alias, canonical] of Object.entries(aliases)) {
    if (out[alias] === undefined) continue;
    if (out[canonical] !== undefined) {
      throw new AppError("conflicting_fields", `send ${canonical} or ${alias} (an alias of it), not both`, {
        field: alias,
      });
    }
    out[canonical] = out[alias];
    delete out[alias];
  }
  return out;
}

export function rejectUnknownFields(input: Input, known: readonly string[], aliases: readonly string[] = []) {
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const described = unknown.map((k) => {
    const near = suggestField(k, [...known, ...aliases]);
    return near ? `"${k}" (did you mean ${near}?)` : `"${k}"`;
  });
  throw new AppError(
    "unknown_field",
    `unknown field${unknown.length > 1 ? "s" : ""} ${described.join(", ")}; accepted: ${known.join(", ")}`,
    { field: unknown[0]! },
  );
}

/** The first schema issue as a 400 naming its field: `missing_field` if it was absent, else `invalid_field`. */
export function issueError(error: z.ZodError, input: Input): AppError {
  const issue = error.issues[0]!;
  const field = issue.path.length ? String(issue.path[0]) : "body";
  if (field !== "body" && input[field] === undefined && issue.path.length === 1) {
    return new AppError("missing_field", `${field} is required`, { field });
  }
  const msg = issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
  return new AppError("invalid_field", msg, { field });
}

export interface ParseOptions {
  aliases?: Record<string, string>;
  /** names the input in messages ("request body", "query string") */
  what?: string;
}

/** Validates `input` against an object schema: aliases resolved, unknown fields refused. */
export function parseInput<S extends z.ZodObject>(
  schema: S,
  input: unknown,
  opts: ParseOptions = {},
): z.infer<S> {
  const aliases = opts.aliases ?? {};
  const obj = applyAliases(requireObject(input, opts.what), aliases);
  rejectUnknownFields(obj, Object.keys(schema.shape), Object.keys(aliases));
  const r = schema.safeParse(obj);
  if (!r.success) throw issueError(r.error, obj);
  return r.data;
}
