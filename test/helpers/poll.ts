/** Waiting in tests for something another process or thread does. */

/** Calls `fn` every `everyMs` until it gives a truthy value or `timeoutMs` passes; returns its last value. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `waitFor`, and an error if the value never came. */
export async function poll<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const v = await waitFor(fn, timeoutMs);
  if (!v) throw new Error("condition not met in time");
  return v;
}
