// Stem cells with real worker processes: specialized on demand, first request in
// 0-RTT, replaced when taken or dead, one cell per caller, a failed
// specialization discarded.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Invoker,
  spawnStem,
  stemClassOf,
  StemPool,
  type StemProcess,
  type WorkerLogLine,
} from "./mod.ts";
import { createCa } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";

const ca = await createCa("QFaaS stem test CA");
const module = new URL("./testdata/function.ts", import.meta.url).pathname;

/** Polls `condition` every 20 ms, up to `ms`. */
async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An invoker keeping `stemCells` stem cells, with `names` registered (all of one class). */
function stemInvoker(stemCells: number, names: string[], extra: { module?: string } = {}) {
  const logs: WorkerLogLine[] = [];
  const invoker = new Invoker({
    ca,
    store: new MemoryStore(),
    stemCells,
    onWorkerLog: (line) => logs.push(line),
  });
  for (const name of names) invoker.register({ name, module: extra.module ?? module });
  return {
    invoker,
    logs,
    call: (name: string, path = "/") => invoker.invoke(name, new Request(`http://gateway${path}`)),
    [Symbol.asyncDispose]: () => invoker.close(),
  };
}

Deno.test("stem cells: a never-called function's first request runs on a specialized stem cell, in 0-RTT; the cell is replaced", async () => {
  await using bed = stemInvoker(1, ["echo"]);
  await until(() => bed.invoker.freeStemCells === 1);
  const first = await bed.call("echo", "/hi");
  assert.equal(await first.text(), "GET /hi");
  assert.match(first.headers.get("x-qfaas-worker") ?? "", /^stem-/, "a stem cell served it");
  assert.equal(first.headers.get("x-qfaas-cold-start"), "1");
  assert.equal(first.headers.get("x-qfaas-0rtt"), "accepted");
  await until(() => bed.invoker.freeStemCells === 1); // replenished
  const second = await bed.call("echo", "/again");
  assert.equal(await second.text(), "GET /again");
  assert.equal(second.headers.get("x-qfaas-worker"), first.headers.get("x-qfaas-worker"), "warm");
});

Deno.test("stem cells: two functions racing for the last cell: one gets it, the other a fresh process", async () => {
  await using bed = stemInvoker(1, ["one", "two"]);
  await until(() => bed.invoker.freeStemCells === 1);
  const [one, two] = await Promise.all([bed.call("one"), bed.call("two")]);
  assert.equal(await one.text(), "GET /");
  assert.equal(await two.text(), "GET /");
  const workers = [one, two].map((r) => r.headers.get("x-qfaas-worker") ?? "").sort();
  assert.equal(workers.filter((w) => w.startsWith("stem-")).length, 1, workers.join(" "));
  assert.equal(workers.filter((w) => /^(one|two)-/.test(w)).length, 1, workers.join(" "));
  for (const response of [one, two]) assert.equal(response.headers.get("x-qfaas-0rtt"), "accepted");
});

Deno.test("stem cells: a function that fails to load gets 503; its stem cell is gone, not reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const broken = join(dir, "broken.ts");
    await Deno.writeTextFile(broken, `throw new Error("no database configured");\n`);
    await using bed = stemInvoker(1, ["broken"], { module: broken });
    await until(() => bed.invoker.freeStemCells === 1);
    const response = await bed.call("broken");
    assert.equal(response.status, 503);
    assert.match((await response.json()).error, /cannot start: .*no database configured/);
    // A new cell replaces it, and a second failure takes that one (each serves one function).
    await until(() => bed.invoker.freeStemCells === 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A pool of `size` real stem cells that records every cell it starts. */
function recordingPool(
  size: number,
  maxTotal?: number,
): { pool: StemPool; spawned: StemProcess[] } {
  const spawned: StemProcess[] = [];
  const store = new MemoryStore();
  const pool = new StemPool({
    size,
    maxTotal,
    spawn: async (cls) => {
      const stem = await spawnStem(cls, ca, store, { onLog: () => {} });
      spawned.push(stem);
      return stem;
    },
  });
  return { pool, spawned };
}

Deno.test("StemPool: a cell that dies while free is replaced and never handed out", async () => {
  const stemClass = await stemClassOf({ name: "echo", module });
  const { pool, spawned } = recordingPool(1);
  try {
    pool.keep(stemClass);
    await until(() => pool.free(stemClass) === 1);
    const [first] = spawned;
    Deno.kill(first.pid, "SIGKILL");
    await first.exited;
    await until(() => spawned.length === 2 && pool.free(stemClass) === 1);
    const taken = pool.take(stemClass);
    assert.equal(taken, spawned[1], "the replacement, not the dead one");
    assert.equal(pool.take(stemClass), null, "one cell, one caller");
    const worker = await taken!.specialize({ name: "echo", module });
    assert.ok(worker.port > 0);
    await worker.stop();
  } finally {
    await pool.close();
    for (const stem of spawned) await stem.exited;
  }
});

Deno.test("StemPool: close() discards free cells; they exit without serving", async () => {
  const stemClass = await stemClassOf({ name: "echo", module });
  const { pool, spawned } = recordingPool(2);
  pool.keep(stemClass);
  await until(() => pool.free(stemClass) === 2);
  await pool.close();
  assert.deepEqual(await Promise.all(spawned.map((stem) => stem.exited)), [0, 0]);
  pool.keep(stemClass);
  assert.equal(spawned.length, 2, "a closed pool starts no more");
});

Deno.test("StemPool: close() while cells are still starting waits for them, and they exit", async () => {
  const stemClass = await stemClassOf({ name: "echo", module });
  const { pool, spawned } = recordingPool(2);
  pool.keep(stemClass);
  await until(() => spawned.length === 2); // started, not loaded yet
  await pool.close();
  const done = await Promise.race([
    Promise.all(spawned.map((stem) => stem.exited)),
    new Promise((resolve) => setTimeout(() => resolve("still running"), 0)),
  ]);
  assert.notEqual(done, "still running", "close() returned before its cells exited");
});

Deno.test("StemPool: maxTotal caps cells across classes; retain() discards forgotten classes and frees their share", async () => {
  const [a, b, c] = await Promise.all(
    [128, 192, 256].map((memoryMiB) => stemClassOf({ name: "echo", module, memoryMiB })),
  );
  const { pool, spawned } = recordingPool(2, 3);
  try {
    for (const stemClass of [a, b, c]) pool.keep(stemClass);
    await until(() => pool.free() === 3);
    assert.equal(spawned.length, 3, "no more than maxTotal started");
    // Classes fill as they are kept, up to the cap: a gets 2, b 1, c none.
    assert.deepEqual([pool.free(a), pool.free(b), pool.free(c)], [2, 1, 0]);
    const forgotten = [...spawned];
    await pool.retain(new Set([c.key]));
    assert.deepEqual(await Promise.all(forgotten.map((stem) => stem.exited)), [0, 0, 0]);
    await until(() => pool.free(c) === 2);
    assert.equal(pool.free(), 2, "only c's cells are kept");
    pool.keep(b); // a forgotten class comes back only when asked for again
    await until(() => pool.free(b) === 1);
    assert.equal(spawned.length, 6);
  } finally {
    await pool.close();
    for (const stem of spawned) await stem.exited;
  }
});

Deno.test("stem cells: cells of a class no registered function has any more are discarded", async () => {
  await using bed = stemInvoker(1, ["echo"]);
  await until(() => bed.invoker.freeStemCells === 1);
  const [before] = bed.invoker.stemCellPids();
  // A new memory limit is a new class: the old cell goes, one of the new class comes.
  await bed.invoker.replace({ name: "echo", module, memoryMiB: 192 });
  await until(() => bed.invoker.freeStemCells === 1 && bed.invoker.stemCellPids()[0] !== before);
  const response = await bed.call("echo");
  assert.equal(await response.text(), "GET /");
  assert.match(
    response.headers.get("x-qfaas-worker") ?? "",
    /^stem-/,
    "the new class's cell served it",
  );
  await until(() => bed.invoker.freeStemCells === 1);
  await bed.invoker.unregister("echo");
  await until(() => bed.invoker.freeStemCells === 0);
  await new Promise((resolve) => setTimeout(resolve, 300)); // past the refill delay
  assert.equal(bed.invoker.freeStemCells, 0, "no function, no cells");
});

Deno.test("stem cells: a function marked freshProcess always gets a process of its own", async () => {
  const invoker = new Invoker({
    ca,
    store: new MemoryStore(),
    stemCells: 1,
    onWorkerLog: () => {},
  });
  try {
    invoker.register({ name: "echo", module });
    invoker.register({ name: "fresh", module, freshProcess: true });
    await until(() => invoker.freeStemCells === 1);
    const response = await invoker.invoke("fresh", new Request("http://gateway/"));
    assert.equal(await response.text(), "GET /");
    assert.match(response.headers.get("x-qfaas-worker") ?? "", /^fresh-/);
    assert.equal(invoker.freeStemCells, 1, "the cell is still free");
  } finally {
    await invoker.close();
  }
});
