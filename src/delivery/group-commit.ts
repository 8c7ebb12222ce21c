/**
 * Group commit for attempt records: attempts finishing within a few milliseconds of each other
 * are written in one transaction. Each caller's promise settles when its own record is durable,
 * so a delivery is never reported done before its row is committed. Measured in
 * bench/delivery.ts: one transaction per attempt capped the engine far below the HTTP client.
 */
export function createGroupCommit<T>(opts: {
  write(batch: T[]): Promise<void>;
  maxBatch: number;
  maxDelayMs: number;
}): (item: T) => Promise<void> {
  let batch: Array<{ item: T; done: () => void; fail: (e: unknown) => void }> = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    const current = batch;
    batch = [];
    try {
      await opts.write(current.map((b) => b.item));
      current.forEach((b) => b.done());
    } catch (err) {
      current.forEach((b) => b.fail(err));
    }
  };

  return (item) =>
    new Promise<void>((done, fail) => {
      batch.push({ item, done, fail });
      if (batch.length >= opts.maxBatch) void flush();
      else timer ??= setTimeout(() => void flush(), opts.maxDelayMs);
    });
}
