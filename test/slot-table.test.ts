import assert from "node:assert/strict";
import { test } from "node:test";
import { SlotTable } from "../src/worker/slot-table.ts";

test("a slot table hands out handles, gives each value back once and reuses freed handles", () => {
  const t = new SlotTable<{ v: string }>();
  const a = t.add({ v: "a" });
  const b = t.add({ v: "b" });
  const c = t.add({ v: "c" });
  assert.deepEqual([a, b, c], [0, 1, 2]);
  assert.equal(t.size, 3);
  assert.deepEqual(t.take(b), { v: "b" });
  assert.equal(t.take(b), undefined, "a value is given back only once");
  assert.equal(t.get(b), undefined);
  assert.equal(t.size, 2);
  assert.deepEqual(
    t.values().map((x) => x.v),
    ["a", "c"],
  );
  assert.equal(t.add({ v: "d" }), b, "a freed handle is reused");
  assert.deepEqual(
    t.values().map((x) => x.v),
    ["a", "d", "c"],
  );
  const seen: Array<[string, number]> = [];
  t.forEach((x, slot) => {
    seen.push([x.v, slot]);
    if (x.v === "a") t.take(slot);
  });
  assert.deepEqual(seen, [
    ["a", 0],
    ["d", 1],
    ["c", 2],
  ]);
  assert.deepEqual(
    t.values().map((x) => x.v),
    ["d", "c"],
  );
  t.clear();
  assert.equal(t.size, 0);
  assert.deepEqual(t.values(), []);
  assert.equal(t.add({ v: "e" }), 0);
});
