/**
 * Which due rows a claim takes, given how many deliveries each host has in flight: at most `limit`
 * rows, never more than `perHost` in flight for one host, and never more than the worker's own
 * allowance for a host (`hostFree`; `newHostFree` for hosts it has no history with). A row an
 * operator asked to send now (`force`) passes regardless. Pure; the SQLite store runs it inside
 * its claim transaction (the Postgres claim states the same rules in SQL, `claimDeliveries`).
 */
import type { ClaimOptions } from "./types.ts";

export function pickClaims<T extends { host: string; force?: boolean }>(
  due: readonly T[],
  limit: number,
  inFlight: ReadonlyMap<string, number>,
  opts: ClaimOptions,
): T[] {
  const perHost = opts.perHost ?? limit;
  const used = new Map(inFlight);
  const taken = new Map<string, number>();
  const picked: T[] = [];
  for (const row of due) {
    const { host } = row;
    const free = opts.hostFree?.[host] ?? opts.newHostFree ?? perHost;
    const n = taken.get(host) ?? 0;
    if (!row.force && ((used.get(host) ?? 0) >= perHost || n >= free)) continue;
    used.set(host, (used.get(host) ?? 0) + 1);
    taken.set(host, n + 1);
    picked.push(row);
    if (picked.length === limit) break;
  }
  return picked;
}
