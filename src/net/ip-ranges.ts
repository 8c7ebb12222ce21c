/**
 * Pure IP-literal parsing and classification for the egress guard. No DNS, no sockets.
 * Addresses are held as bigints so IPv4 and IPv6 share one prefix-matching routine.
 */

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "multicast"
  | "metadata"
  | "unspecified"
  | "reserved";

export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

interface Cidr extends ParsedIp {
  prefix: number;
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseIPv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    // Strict dotted-decimal only: octal/hex/short forms are how filters get bypassed.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(text: string): bigint | null {
  let groups: string[];
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  if (lastColon !== -1 && text.includes(".", lastColon)) {
    tail = parseIPv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const split = (s: string): string[] => (s === "" ? [] : s.split(":"));
  if (halves.length === 2) {
    const head = split(halves[0]!);
    const rest = split(halves[1]!);
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill("0"), ...rest];
  } else {
    groups = split(text);
  }
  if (groups.length !== 8) return null;
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== null) value = (value & ~0xffffffffn) | tail;
  return value;
}

/** Parses an IPv4/IPv6 literal; accepts `[v6]` brackets and strips an IPv6 zone id. Null if not an IP. */
export function parseIp(text: string): ParsedIp | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  if (s.includes(":")) {
    const zone = s.indexOf("%");
    if (zone !== -1) s = s.slice(0, zone);
    const value = parseIPv6(s);
    return value === null ? null : { family: 6, value };
  }
  const value = parseIPv4(s);
  return value === null ? null : { family: 4, value };
}

export function parseCidr(text: string): Cidr | null {
  const [addr, prefixText, extra] = text.trim().split("/");
  if (addr === undefined || extra !== undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  let prefix = bits(ip.family);
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    if (prefix > bits(ip.family)) return null;
  }
  return { ...ip, prefix };
}

function mustCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`invalid built-in CIDR ${text}`);
  return c;
}

function inCidr(ip: ParsedIp, c: Cidr): boolean {
  if (ip.family !== c.family) return false;
  const shift = BigInt(bits(ip.family) - c.prefix);
  return ip.value >> shift === c.value >> shift;
}

const V4_MAPPED = mustCidr("::ffff:0.0.0.0/96");

/** `::ffff:a.b.c.d` is the IPv4 host a.b.c.d on a dual-stack socket, so it is judged as that host. */
export function unmapIp(ip: ParsedIp): ParsedIp {
  return inCidr(ip, V4_MAPPED) ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

// First match wins, so specific entries precede the ranges that contain them.
const V4_TABLE: [Cidr, AddressClass][] = (
  [
    ["0.0.0.0/8", "unspecified"],
    ["10.0.0.0/8", "private"],
    ["100.64.0.0/10", "cgnat"],
    ["127.0.0.0/8", "loopback"],
    ["169.254.169.254/32", "metadata"],
    ["169.254.0.0/16", "link_local"],
    ["172.16.0.0/12", "private"],
    ["192.0.0.0/24", "reserved"],
    ["192.0.2.0/24", "reserved"],
    ["192.168.0.0/16", "private"],
    ["198.18.0.0/15", "reserved"],
    ["198.51.100.0/24", "reserved"],
    ["203.0.113.0/24", "reserved"],
    ["224.0.0.0/4", "multicast"],
    ["240.0.0.0/4", "reserved"], // includes 255.255.255.255 broadcast
  ] as const
).map(([c, k]) => [mustCidr(c), k]);

const V6_TABLE: [Cidr, AddressClass][] = (
  [
    ["::/128", "unspecified"],
    ["::1/128", "loopback"],
    ["::/96", "reserved"], // deprecated IPv4-compatible
    ["64:ff9b:1::/48", "reserved"], // local-use NAT64
    ["100::/64", "reserved"], // discard-only
    ["2001::/23", "reserved"], // IETF protocol assignments incl. Teredo
    ["2001:db8::/32", "reserved"], // documentation
    ["fd00:ec2::254/128", "metadata"],
    ["fc00::/7", "private"],
    ["fe80::/10", "link_local"],
    ["fec0::/10", "private"], // deprecated site-local
    ["ff00::/8", "multicast"],
  ] as const
).map(([c, k]) => [mustCidr(c), k]);

// These embed an IPv4 address that the packet ends up at, so the embedded one decides.
const NAT64 = mustCidr("64:ff9b::/96");
const SIX_TO_FOUR = mustCidr("2002::/16");
const GLOBAL_UNICAST = mustCidr("2000::/3");

function classifyParsed(input: ParsedIp): AddressClass {
  const ip = unmapIp(input);
  if (ip.family === 4) {
    for (const [c, kind] of V4_TABLE) if (inCidr(ip, c)) return kind;
    return "public";
  }
  if (inCidr(ip, NAT64)) return classifyParsed({ family: 4, value: ip.value & 0xffffffffn });
  if (inCidr(ip, SIX_TO_FOUR)) return classifyParsed({ family: 4, value: (ip.value >> 80n) & 0xffffffffn });
  for (const [c, kind] of V6_TABLE) if (inCidr(ip, c)) return kind;
  return inCidr(ip, GLOBAL_UNICAST) ? "public" : "reserved";
}

/** Classifies an IP literal. Throws on anything that is not an IP literal. */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseIp(ip);
  if (!parsed) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  return classifyParsed(parsed);
}

export interface AllowList {
  readonly entries: readonly string[];
  contains(ip: string): boolean;
}

/** Parses comma/whitespace-separated CIDRs (or an array of them); a bare address means a single host. */
export function parseAllowList(spec: string | readonly string[]): AllowList {
  const texts = (typeof spec === "string" ? [spec] : spec)
    .flatMap((s) => s.split(/[\s,]+/))
    .filter((s) => s !== "");
  const cidrs = texts.map((text) => {
    const c = parseCidr(text);
    if (!c) throw new Error(`invalid CIDR in allow-list: ${JSON.stringify(text)}`);
    // A mapped-IPv4 entry is written as IPv6 but must match the unmapped form.
    if (c.family === 6 && c.prefix >= 96 && inCidr(c, V4_MAPPED)) {
      return { family: 4 as const, value: c.value & 0xffffffffn, prefix: c.prefix - 96 };
    }
    return c;
  });
  return {
    entries: texts,
    contains(ip: string): boolean {
      const parsed = parseIp(ip);
      if (!parsed) return false;
      const target = unmapIp(parsed);
      return cidrs.some((c) => inCidr(target, c));
    },
  };
}

/** Public addresses are always reachable; anything else only when the operator allow-listed it. */
export function isAddressAllowed(ip: string, allow: AllowList): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return classifyParsed(parsed) === "public" || allow.contains(ip);
}
