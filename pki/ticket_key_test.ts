import assert from "node:assert/strict";
import { TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { devTicketKey, TICKET_KEY_FILE } from "./ticket_key.ts";

async function withTempDir(run: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await run(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("devTicketKey() creates a 48-byte key once (0700 directory, 0600 file) and reuses it", async () => {
  await withTempDir(async (root) => {
    const dir = `${root}/ca`;
    const first = await devTicketKey(dir);
    assert.equal(first.byteLength, TICKET_KEY_LENGTH);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}/${TICKET_KEY_FILE}`)).mode! & 0o777, 0o600);
    assert.deepEqual(await devTicketKey(dir), first, "the same key, loaded from disk");
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.deepEqual(names, [TICKET_KEY_FILE], "no temporary file left behind");
  });
});

Deno.test("devTicketKey() gives processes that start at once the same key", async () => {
  await withTempDir(async (root) => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => devTicketKey(root)));
    for (const key of keys) assert.deepEqual(key, keys[0]);
    assert.deepEqual(await Deno.readFile(`${root}/${TICKET_KEY_FILE}`), keys[0]);
  });
});

Deno.test("devTicketKey() refuses a key that others can read", async () => {
  await withTempDir(async (root) => {
    await devTicketKey(root);
    await Deno.chmod(`${root}/${TICKET_KEY_FILE}`, 0o640);
    await assert.rejects(devTicketKey(root), /mode 640 lets others read it/);
  });
});

Deno.test("devTicketKey() refuses a key of the wrong size, naming the file", async () => {
  await withTempDir(async (root) => {
    await Deno.writeFile(`${root}/${TICKET_KEY_FILE}`, new Uint8Array(32), { mode: 0o600 });
    await assert.rejects(
      devTicketKey(root),
      new RegExp(`${TICKET_KEY_FILE}: received 32 bytes, need 48`),
    );
  });
});
