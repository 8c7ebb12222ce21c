import assert from "node:assert/strict";
import { test } from "node:test";
import {
  classifyAddress,
  isAddressAllowed,
  parseAllowList,
  parseIp,
  type AddressClass,
} from "../src/net/ip-ranges.ts";

const table: [string, AddressClass][] = [
  // IPv4
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "cgnat"],
  ["100.127.255.255", "cgnat"],
  ["100.128.0.0", "public"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "metadata"],
  ["169.254.0.1", "link_local"],
  ["169.254.169.253", "link_local"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", "public"],
  ["172.15.255.255", "public"],
  ["192.0.0.8", "reserved"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "reserved"],
  ["198.19.255.255", "reserved"],
  ["198.20.0.0", "public"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.255", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "reserved"],
  ["8.8.8.8", "public"],
  ["1.1.1.1", "public"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["fc00::1", "private"],
  ["fd12:3456::1", "private"],
  ["fe80::1", "link_local"],
  ["fe80::1%eth0", "link_local"],
  ["febf::1", "link_local"],
  ["ff02::1", "multicast"],
  ["fd00:ec2::254", "metadata"],
  ["fd00:ec2::253", "private"],
  ["2001:db8::1", "reserved"],
  ["2606:4700:4700::1111", "public"],
  ["2a00:1450:4001:80b::200e", "public"],
  // IPv4-mapped, dotted and hex forms, judged by the embedded IPv4
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["[::ffff:7f00:1]", "loopback"],
  ["::ffff:10.0.0.1", "private"],
  ["::ffff:a00:1", "private"],
  ["::ffff:169.254.169.254", "metadata"],
  ["::ffff:a9fe:a9fe", "metadata"],
  ["::ffff:0.0.0.0", "unspecified"],
  ["0:0:0:0:0:ffff:c0a8:101", "private"],
  ["::ffff:8.8.8.8", "public"],
  // NAT64 with embedded IPv4
  ["64:ff9b::127.0.0.1", "loopback"],
  ["64:ff9b::a00:1", "private"],
  ["64:ff9b::169.254.169.254", "metadata"],
  ["64:ff9b::8.8.8.8", "public"],
];

test("classifyAddress covers every special range", () => {
  for (const [ip, expected] of table) {
    assert.equal(classifyAddress(ip), expected, ip);
  }
});

test("classifyAddress rejects non-literals instead of guessing", () => {
  for (const bad of [
    "example.com",
    "",
    "1.2.3",
    "1.2.3.256",
    "0x7f.0.0.1",
    "017.0.0.1",
    "1::2::3",
    "gggg::1",
  ]) {
    assert.throws(() => classifyAddress(bad), /not an IP address/, bad);
  }
});

test("parseIp normalises equivalent IPv6 spellings", () => {
  assert.deepEqual(parseIp("::ffff:127.0.0.1"), parseIp("::ffff:7f00:1"));
  assert.deepEqual(parseIp("2001:db8::1"), parseIp("2001:0db8:0:0:0:0:0:0001"));
  assert.equal(parseIp("1.2.3.4")?.family, 4);
  assert.equal(parseIp("::1")?.family, 6);
});

test("parseAllowList matches CIDRs, bare hosts and mapped forms", () => {
  const allow = parseAllowList("127.0.0.0/8, ::1/128 10.1.0.0/16");
  assert.deepEqual(allow.entries, ["127.0.0.0/8", "::1/128", "10.1.0.0/16"]);
  assert.ok(allow.contains("127.0.0.1"));
  assert.ok(allow.contains("127.200.1.1"));
  assert.ok(allow.contains("::ffff:127.0.0.1"));
  assert.ok(allow.contains("::ffff:7f00:1"));
  assert.ok(allow.contains("::1"));
  assert.ok(allow.contains("10.1.255.255"));
  assert.ok(!allow.contains("10.2.0.1"));
  assert.ok(!allow.contains("::2"));
  assert.ok(!allow.contains("128.0.0.1"));
  assert.ok(!allow.contains("not-an-ip"));

  const single = parseAllowList(["192.168.1.5"]);
  assert.ok(single.contains("192.168.1.5"));
  assert.ok(!single.contains("192.168.1.6"));

  const mappedEntry = parseAllowList(["::ffff:10.0.0.0/104"]);
  assert.ok(mappedEntry.contains("10.9.9.9"));
  assert.ok(!mappedEntry.contains("11.0.0.1"));

  assert.deepEqual(parseAllowList("").entries, []);
  assert.deepEqual(parseAllowList([]).entries, []);
});

test("parseAllowList names the bad entry", () => {
  assert.throws(() => parseAllowList("127.0.0.0/8, 10.0.0.0/33"), /10\.0\.0\.0\/33/);
  assert.throws(() => parseAllowList("::1/129"), /::1\/129/);
  assert.throws(() => parseAllowList(["localhost"]), /localhost/);
  assert.throws(() => parseAllowList("1.2.3.4/8/9"), /1\.2\.3\.4\/8\/9/);
});

test("isAddressAllowed: public always, others only when allow-listed", () => {
  const none = parseAllowList([]);
  assert.ok(isAddressAllowed("8.8.8.8", none));
  assert.ok(isAddressAllowed("2606:4700:4700::1111", none));
  for (const ip of ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "::ffff:7f00:1", "fd00:ec2::254"]) {
    assert.ok(!isAddressAllowed(ip, none), ip);
  }
  assert.ok(!isAddressAllowed("garbage", none));

  const loop = parseAllowList("127.0.0.0/8");
  assert.ok(isAddressAllowed("127.0.0.1", loop));
  assert.ok(isAddressAllowed("::ffff:127.0.0.1", loop));
  assert.ok(!isAddressAllowed("::1", loop));
  assert.ok(!isAddressAllowed("169.254.169.254", loop));
});
