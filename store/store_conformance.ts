/**
 * The conformance suite every `ZeroRttStore` must pass (memory, file, and
 * any shared backend later). Call `testStoreConformance(name, open)` from a
 * `_test.ts` file.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ZeroRttStore } from "./zero_rtt_store.ts";

/** Registers the store tests for the store that `open` returns, named "<name>: …". */
export function testStoreConformance(name: string, open: () => Promise<ZeroRttStore>): void {
  const test = (what: string, fn: () => Promise<void>) => Deno.test(`${name}: ${what}`, fn);

  test("keeps the newest session per worker and forgets deleted workers", async () => {
    const store = await open();
    assert.equal(store.get("w1"), undefined);
    store.set("w1", new Uint8Array([1]));
    store.set("w2", new Uint8Array([2]));
    store.set("w1", new Uint8Array([3]));
    assert.deepEqual(store.get("w1"), new Uint8Array([3]));
    assert.deepEqual(store.workers().sort(), ["w1", "w2"]);
    store.delete("w1");
    assert.equal(store.get("w1"), undefined);
    assert.deepEqual(store.workers(), ["w2"]);
    await store.flush();
  });

  test("keeps a copy: changing the caller's bytes later changes nothing", async () => {
    const store = await open();
    const session = new Uint8Array([7, 7, 7]);
    store.set("w", session);
    session[0] = 0;
    assert.deepEqual(store.get("w"), new Uint8Array([7, 7, 7]));
    await store.flush();
  });
}
