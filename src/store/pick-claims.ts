/**
 * Which due rows a claim takes, given how many deliveries each host has in flight: at most `limit`
 * rows, never more than `perHost` in flight for one host, never more than the worker's own
 * allowance for a host (`hostFree`; `newHostFree` for hosts it has no history with), none for a
 * host left out (`excludeHosts`). A row an operator asked to send now (`force`) passes regardless.
 * Pure; the SQLite store runs it inside its claim transaction (the Postgres claim states the same
 * rules in SQL, `claimDeliveries`).
 */
import type { ClaimOptions } from "./types.ts";

/** How many more deliveries a claim may start for a host (0: none). */
export function hostRoom(
  limit: number,
  inFlight: ReadonlyMap<string, number>,
  opts: ClaimOptions,
): (host: string) => number {
  const perHost = opts.perHost ?? limit;
  const excluded = new Set(opts.excludeHosts ?? []);
  return (host) =>
    excluded.has(host)
      ? 0
      : Math.max(
          0,
          Math.min(opts.hostFree?.[host] ?? opts.newHostFree ?? perHost, perHost - (inFlight.get(host) ?? 0)),
        );
}

export function pickClaims<T extends { host: string; force?: boolean }>(
  due: readonly T[],
  limit: number,
  inFlight: ReadonlyMap<string, number>,
  opts: ClaimOptions,
): T[] {
  const room = hostRoom(limit, inFlight, opts);
  const left = new Map<string, number>();
  const picked: T[] = [];
  for (const row of due) {
    const { host } = row;
    const n = left.get(host) ?? room(host);
    if (!row.force && n <= 0) continue;
    left.set(host, n - 1);
    picked.push(row);
    if (picked.length === limit) break;
  }
  return picked;
}
