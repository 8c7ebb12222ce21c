/** Turns a zod schema into a `parse` for JSON-schema requests, with one-line error messages. */
import type { z } from "zod";

export function zodParse<S extends z.ZodType>(schema: S): (x: unknown) => z.output<S> {
  return (x) => {
    const r = schema.safeParse(x);
    if (r.success) return r.data;
    const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(issues.join("; "));
  };
}
