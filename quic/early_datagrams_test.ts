import assert from "node:assert/strict";
import { EarlyDatagrams } from "./early_datagrams.ts";

const from = { host: "127.0.0.1", port: 1 };

Deno.test("EarlyDatagrams.take() returns copies in arrival order, once", () => {
  const held = new EarlyDatagrams();
  const first = new Uint8Array([1, 2]);
  assert.ok(held.hold("k", first, from, 0));
  assert.ok(held.hold("k", new Uint8Array([3]), from, 1));
  first[0] = 9; // the caller reuses its receive buffer
  assert.deepEqual(held.take("k").map((d) => [...d.data]), [[1, 2], [3]]);
  assert.deepEqual(held.take("k"), []);
});

Deno.test("EarlyDatagrams.hold() refuses beyond its per-CID and CID-count bounds", () => {
  const held = new EarlyDatagrams({ maxKeys: 2, maxPerKey: 2 });
  assert.ok(held.hold("a", new Uint8Array(1), from, 0));
  assert.ok(held.hold("a", new Uint8Array(1), from, 0));
  assert.equal(held.hold("a", new Uint8Array(1), from, 0), false);
  assert.ok(held.hold("b", new Uint8Array(1), from, 0));
  assert.equal(held.hold("c", new Uint8Array(1), from, 0), false);
  assert.equal(held.size, 2);
});

Deno.test("EarlyDatagrams drops what it held for longer than maxAgeMs", () => {
  const held = new EarlyDatagrams({ maxAgeMs: 100, maxKeys: 1 });
  assert.ok(held.hold("old", new Uint8Array(1), from, 0));
  assert.ok(held.hold("new", new Uint8Array(1), from, 101), "the expired entry made room");
  assert.deepEqual(held.take("old"), []);
  assert.equal(held.take("new").length, 1);
});
