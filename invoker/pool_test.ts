// FunctionPool with stand-in workers: start failures, backoff, `min` restored, and scale-up (the first worker ready serves; starts capped).
import assert from "node:assert/strict";
import { FunctionUnavailable, WorkerStartError } from "./errors.ts";
import {
  FunctionPool,
  type Lease,
  type PoolOptions,
  START_BACKOFF_MS,
  type StartFailure,
} from "./pool.ts";
import { detachedWorker } from "./replica_pool.ts";
import type { WorkerProcess } from "./worker_process.ts";

/** A worker that exists only in memory; `die()` ends it as a crash would. */
function fakeWorker(name: string): WorkerProcess & { die(): void } {
  const worker = detachedWorker({ name, transport: "h3", address: "127.0.0.1", port: 1 });
  return { ...worker, die: () => worker.end(137) };
}

const failing = (n: number) =>
  new WorkerStartError("broken", `broken-${n}`, 1, [
    "Loading main.ts",
    "error: Uncaught (in promise) Error: boom at file:///fns/broken/main.ts:1:7",
  ], "exited");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A pool whose every start waits until the test resolves (or rejects) it. */
function heldStarts(options: PoolOptions) {
  const starts: PromiseWithResolvers<WorkerProcess>[] = [];
  const pool = new FunctionPool(() => {
    const start = Promise.withResolvers<WorkerProcess>();
    starts.push(start);
    return start.promise;
  }, options);
  return { starts, pool };
}

Deno.test("FunctionPool: a failing start makes the function unavailable without a new spawn until the backoff passes", async () => {
  let spawns = 0;
  const failures: (StartFailure | null)[] = [];
  const pool = new FunctionPool(() => Promise.reject(failing(++spawns)), {
    onStartFailure: (failure) => failures.push(failure),
  });
  for (let i = 0; i < 10; i++) {
    await assert.rejects(pool.acquire(), (error: unknown) => {
      assert.ok(error instanceof FunctionUnavailable);
      assert.match(error.message, /cannot start: error: Uncaught .*boom/);
      assert.ok(error.retryInMs > 0 && error.retryInMs <= START_BACKOFF_MS);
      return true;
    });
  }
  assert.equal(spawns, 1, "one spawn, then 503s from the backoff");
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.attempts, 1);
  await sleep(START_BACKOFF_MS + 20);
  await assert.rejects(pool.acquire(), FunctionUnavailable);
  assert.equal(spawns, 2);
  assert.equal(failures[1]?.retryInMs, 2 * START_BACKOFF_MS, "the backoff doubles");
  await pool.close();
});

Deno.test("FunctionPool: after a failure, concurrent requests share one start attempt", async () => {
  let spawns = 0;
  let fail = true;
  const pool = new FunctionPool(async () => {
    spawns++;
    await sleep(10);
    if (fail) throw failing(spawns);
    return fakeWorker(`w${spawns}`);
  });
  await assert.rejects(pool.acquire(), FunctionUnavailable);
  await sleep(START_BACKOFF_MS + 20);
  fail = false;
  const leases = await Promise.all(Array.from({ length: 5 }, () => pool.acquire()));
  assert.equal(spawns, 2, "one probe for five requests");
  assert.equal(new Set(leases.map((l) => l.slot)).size, 1);
  for (const lease of leases) lease.release();
  await pool.close();
});

Deno.test("FunctionPool: a recovered function reports null and serves again", async () => {
  let fail = true;
  const failures: (StartFailure | null)[] = [];
  const pool = new FunctionPool(
    () => fail ? Promise.reject(failing(0)) : Promise.resolve(fakeWorker("ok")),
    { onStartFailure: (failure) => failures.push(failure) },
  );
  await assert.rejects(pool.acquire(), FunctionUnavailable);
  fail = false;
  await sleep(START_BACKOFF_MS + 20);
  const lease = await pool.acquire();
  assert.equal(lease.slot.worker.name, "ok");
  assert.equal(failures.at(-1), null);
  lease.release();
  await pool.close();
});

Deno.test("FunctionPool: min workers are restored after one dies", async () => {
  const workers: ReturnType<typeof fakeWorker>[] = [];
  const pool = new FunctionPool(() => {
    const worker = fakeWorker(`w${workers.length}`);
    workers.push(worker);
    return Promise.resolve(worker);
  }, { min: 2 });
  await pool.warm();
  assert.equal(pool.size, 2);
  workers[0].die();
  for (let i = 0; i < 50 && (pool.size < 2 || workers.length < 3); i++) await sleep(5);
  assert.equal(workers.length, 3, "a replacement was spawned");
  assert.deepEqual(pool.workers.sort(), ["w1", "w2"]);
  await pool.close();
  assert.equal(workers.length, 3, "close spawns nothing");
});

Deno.test("FunctionPool: a worker that finishes starting after close is stopped, not kept", async () => {
  const started = Promise.withResolvers<void>();
  let stopped = false;
  const pool = new FunctionPool(async () => {
    await started.promise;
    const worker = fakeWorker("late");
    const stop = worker.stop;
    worker.stop = () => (stopped = true, stop());
    return worker;
  });
  const warming = pool.warm(1);
  const closing = pool.close();
  started.resolve();
  await closing;
  await assert.rejects(warming, /closed/);
  assert.ok(stopped);
  assert.equal(pool.size, 0);
});

Deno.test("FunctionPool: a burst is served by the first worker ready, not each request by the one it started; the others join the pool idle", async () => {
  const { starts, pool } = heldStarts({ max: 4, maxStarting: 4 });
  const served: string[] = [];
  const requests = [0, 1, 2, 3].map(async () => {
    const lease = await pool.acquire();
    served.push(lease.slot.worker.name);
    assert.equal(lease.cold, true, "each waited for a start");
    await sleep(1);
    lease.release();
  });
  await sleep(0);
  assert.equal(starts.length, 4, "one start per request, up to max");
  starts[1].resolve(fakeWorker("w1")); // the second start is ready first; the others hang
  await sleep(20);
  assert.deepEqual(served, ["w1", "w1", "w1", "w1"], "all four served by w1, one after another");
  await Promise.all(requests);
  for (const [i, start] of starts.entries()) if (i !== 1) start.resolve(fakeWorker(`w${i}`));
  await sleep(0);
  assert.equal(pool.size, 4, "the later starts joined the pool");
  const leases = await Promise.all([0, 1, 2, 3].map(() => pool.acquire()));
  assert.deepEqual(leases.map((l) => l.slot.worker.name).sort(), ["w0", "w1", "w2", "w3"]);
  assert.ok(leases.every((l) => !l.cold), "all idle and warm: none held for a request gone");
  for (const lease of leases) lease.release();
  await pool.close();
});

Deno.test("FunctionPool: a request whose own start fails is served by a worker that is up", async () => {
  const { starts, pool } = heldStarts({ max: 2 });
  const first = pool.acquire();
  const second = pool.acquire();
  await sleep(0);
  starts[0].resolve(fakeWorker("up"));
  const a = await first;
  starts[1].reject(failing(1)); // `second` is still waiting: w0 is busy
  const b = await second;
  assert.equal(b.slot.worker.name, "up");
  a.release();
  b.release();
  await pool.close();
});

Deno.test("FunctionPool: no more than maxStarting start at once; a burst waits for them, then the pool grows", async () => {
  const { starts, pool } = heldStarts({ max: 8, maxStarting: 2 });
  const leases: Lease[] = [];
  const requests = Array.from({ length: 6 }, () => pool.acquire().then((l) => leases.push(l)));
  await sleep(0);
  assert.equal(starts.length, 2, "two starts for six requests");
  starts[0].resolve(fakeWorker("w0"));
  starts[1].resolve(fakeWorker("w1"));
  await sleep(0);
  assert.equal(leases.length, 2, "each ready worker took one request");
  // Both busy, two starts free again: the next two waiting requests start workers.
  await sleep(0);
  assert.equal(starts.length, 4);
  for (const lease of leases.splice(0)) lease.release(); // both idle: two more served
  await sleep(0);
  assert.equal(leases.length, 2);
  for (const lease of leases.splice(0)) lease.release();
  await sleep(0);
  assert.equal(leases.length, 2, "all six served by the first two workers");
  for (const lease of leases.splice(0)) lease.release();
  await Promise.all(requests);
  starts[2].resolve(fakeWorker("w2"));
  starts[3].resolve(fakeWorker("w3"));
  await sleep(0);
  assert.equal(pool.size, 4, "the later starts joined the pool, idle");
  await pool.close();
});

Deno.test("FunctionPool: close() waits for a start under way and stops its worker", async () => {
  const { starts, pool } = heldStarts({ max: 2 });
  const request = pool.acquire();
  request.catch(() => {}); // it fails: the pool closes under it
  await sleep(0);
  let closed = false;
  const closing = pool.close().then(() => (closed = true));
  await sleep(5);
  assert.equal(closed, false, "not while the start is under way");
  const late = fakeWorker("late");
  let stopped = false;
  late.exited.then(() => (stopped = true));
  starts[0].resolve(late);
  await closing;
  assert.equal(stopped, true, "the worker that came up after close was stopped");
  await assert.rejects(request, /pool is closed/);
});
