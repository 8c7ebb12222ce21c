/**
 * Runs `fn` over an async stream with at most `limit` calls in flight, pulling the next item only
 * when a slot is free (so a slow consumer holds back the producer). Results keep input order. On
 * the first failure it stops pulling, lets the running calls settle, and rethrows.
 */
export async function mapBounded<T, R>(
  items: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let index = 0;
  for await (const item of items) {
    const i = index++;
    const p: Promise<void> = fn(item).then(
      (r) => {
        results[i] = r;
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    running.add(p);
    void p.finally(() => running.delete(p));
    if (running.size >= limit) await Promise.race(running);
    if (failure) break;
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  return results;
}
