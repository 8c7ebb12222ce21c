/** Latency figures for tests: percentiles, and /healthz polled while something else runs. */

export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;

/** Polls `${url}/healthz` every 100 ms until `done()`; returns each answer's latency in ms. */
export async function pollHealthz(url: string, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done()) {
    const t0 = performance.now();
    await (await fetch(`${url}/healthz`)).text();
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
  return latencies;
}
