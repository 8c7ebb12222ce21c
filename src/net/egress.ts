/**
 * Egress guard for requests to caller-supplied URLs (audio URIs, webhook callbacks).
 * Resolution, vetting and connecting happen in one place, and the socket is opened to the
 * vetted IP itself, so a second DNS answer can never swap in a different address.
 */
import { lookup } from "node:dns/promises";
import type { Socket } from "node:net";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { classifyAddress, isAddressAllowed, parseAllowList, parseIp, type AllowList } from "./ip-ranges.ts";

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export interface EgressGuardOptions {
  /** CIDRs of non-public ranges that may be reached anyway (NETWORK_ALLOWLIST). */
  allow: readonly string[];
  resolve?: Resolver;
  /** Passed to undici's buildConnector (e.g. `timeout`, TLS `ca`). */
  connectOptions?: buildConnector.BuildOptions;
  /** Replaces the socket-opening connector; it only ever receives vetted IP addresses. */
  connector?: buildConnector.connector;
}

export interface EgressGuard {
  dispatcher: Dispatcher;
  /** Resolves and vets a URL without connecting; rejects with EgressBlockedError. */
  check(url: URL): Promise<void>;
}

export class EgressBlockedError extends Error {
  readonly code = "ssrf_blocked";
  constructor(
    message: string,
    readonly host: string,
    readonly address?: string,
  ) {
    super(message);
    this.name = "EgressBlockedError";
  }
}

const defaultResolve: Resolver = (host) => lookup(host, { all: true, verbatim: true });

function blocked(host: string, address: string): EgressBlockedError {
  let kind: string;
  try {
    kind = classifyAddress(address).replace("_", "-");
  } catch {
    kind = "unparseable";
  }
  return new EgressBlockedError(
    `refused to connect to ${address} (${kind} address) for host ${host}; allow it with NETWORK_ALLOWLIST`,
    host,
    address,
  );
}

function checkScheme(protocol: string, host: string): void {
  if (protocol !== "http:" && protocol !== "https:") {
    throw new EgressBlockedError(
      `refused scheme ${protocol} for host ${host}; only http and https are allowed`,
      host,
    );
  }
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function createEgressGuard(opts: EgressGuardOptions): EgressGuard {
  const allow: AllowList = parseAllowList(opts.allow);
  const resolve = opts.resolve ?? defaultResolve;
  const inner = opts.connector ?? buildConnector({ ...opts.connectOptions });

  /** Returns the single address to connect to, after every candidate passed. */
  async function vet(rawHost: string): Promise<string> {
    const host = stripBrackets(rawHost);
    const literal = parseIp(host);
    const addresses = literal ? [host] : (await resolve(host)).map((a) => a.address);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host });
    }
    // Refusing when any answer is blocked avoids racing a mixed public/private record set.
    for (const address of addresses) {
      if (!isAddressAllowed(address, allow)) throw blocked(host, address);
    }
    return addresses[0]!;
  }

  const connect: buildConnector.connector = (options, callback) => {
    const host = stripBrackets(options.hostname);
    const opened = (err: Error | null, socket: Socket | null): void => {
      if (err || !socket) return callback(err ?? new Error("connector returned no socket"), null);
      const remote = socket.remoteAddress;
      if (!remote || !isAddressAllowed(remote, allow)) {
        socket.destroy();
        return callback(blocked(host, remote ?? "unknown"), null);
      }
      callback(null, socket);
    };
    (async () => {
      checkScheme(options.protocol, host);
      const address = await vet(host);
      const servername = options.servername || (parseIp(host) ? undefined : host);
      inner({ ...options, hostname: address, servername }, opened);
    })().catch((err: Error) => callback(err, null));
  };

  return {
    dispatcher: new Agent({ connect }),
    async check(url: URL): Promise<void> {
      checkScheme(url.protocol, url.hostname);
      await vet(url.hostname);
    },
  };
}

export type TransportErrorKind = "dns" | "connect" | "tls" | "timeout" | "reset" | "ssrf_blocked" | "other";

function kindOf(e: { code?: unknown; name?: unknown }): TransportErrorKind | null {
  if (e instanceof EgressBlockedError || e.code === "ssrf_blocked") return "ssrf_blocked";
  const code = typeof e.code === "string" ? e.code : "";
  const name = typeof e.name === "string" ? e.name : "";
  if (["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "ENODATA", "ESERVFAIL"].includes(code)) return "dns";
  if (["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"].includes(code)) return "connect";
  if (/^(ERR_TLS|ERR_SSL|EPROTO$)|CERT|SIGNATURE/.test(code)) return "tls";
  if (/^UND_ERR_\w*TIMEOUT$/.test(code) || code === "ETIMEDOUT") return "timeout";
  if (name === "AbortError" || name === "TimeoutError") return "timeout";
  if (["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"].includes(code)) return "reset";
  return null;
}

/** Buckets a transport failure by walking `cause` (and AggregateError) chains; a blocked hop wins. */
export function classifyTransportError(err: unknown): TransportErrorKind {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  let first: TransportErrorKind | null = null;
  while (queue.length > 0 && seen.size < 32) {
    const e = queue.shift();
    if (typeof e !== "object" || e === null || seen.has(e)) continue;
    seen.add(e);
    const kind = kindOf(e as { code?: unknown; name?: unknown });
    if (kind === "ssrf_blocked") return kind;
    first ??= kind;
    queue.push((e as { cause?: unknown }).cause);
    if (e instanceof AggregateError) queue.push(...e.errors);
  }
  return first ?? "other";
}
