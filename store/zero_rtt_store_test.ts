import assert from "node:assert/strict";
import { FileStore, MemoryStore } from "./zero_rtt_store.ts";
import { testStoreConformance } from "./store_conformance.ts";

testStoreConformance("MemoryStore", () => Promise.resolve(new MemoryStore()));
testStoreConformance(
  "FileStore",
  async () => FileStore.open(`${await Deno.makeTempDir()}/sessions.json`),
);

Deno.test("FileStore persists sessions across instances, in a file only its owner can read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sessions.json`;
    const first = await FileStore.open(path);
    first.set("worker-a", new Uint8Array([1, 2, 3]));
    first.set("worker-b", new Uint8Array([4]));
    first.delete("worker-b");
    await first.flush();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const second = await FileStore.open(path);
    assert.deepEqual(second.workers(), ["worker-a"]);
    assert.deepEqual(second.get("worker-a"), new Uint8Array([1, 2, 3]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileStore.open() refuses a corrupt file with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.json`, "{not json");
    await assert.rejects(
      FileStore.open(`${dir}/bad.json`),
      /Cannot open the 0-RTT store .*not JSON/,
    );
    await Deno.writeTextFile(`${dir}/array.json`, "[1,2]");
    await assert.rejects(FileStore.open(`${dir}/array.json`), /expected an object/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
