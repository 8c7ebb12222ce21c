/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made later sort
 * later, so rows keyed or indexed by them are appended to the end of their B-tree instead of
 * landing on a random page each: a commit of 64 delivery attempts then writes a few index pages
 * instead of ~64 (bench/delivery.ts). Within one millisecond the 12-bit `rand_a` field counts up,
 * so ids from one process stay in creation order.
 */
import { randomFillSync } from "node:crypto";

let lastMs = -1;
let seq = 0;
const bytes = Buffer.alloc(16);

export function timeOrderedId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq > 0xfff) {
    // 4096 ids in one millisecond: borrow the next one (still unique and ordered)
    lastMs++;
    seq = 0;
  }
  randomFillSync(bytes, 8, 8);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (seq >> 8);
  bytes[7] = seq & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
