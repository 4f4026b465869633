// The invoker with real worker processes over real sockets.
import assert from "node:assert/strict";
import { Invoker, type InvokerFunction, type WorkerLogLine } from "./mod.ts";
import { createCa } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";

const ca = await createCa("QFaaS test CA");
const module = new URL("./testdata/function.ts", import.meta.url).pathname;

function invokerWith(fn: Partial<InvokerFunction> = {}) {
  const store = new MemoryStore();
  const invoker = new Invoker({ ca, store });
  invoker.register({ name: "echo", module, ...fn });
  return {
    invoker,
    store,
    call: (path: string, init?: RequestInit) =>
      invoker.invoke("echo", new Request(`http://gateway${path}`, init)),
    [Symbol.asyncDispose]: () => invoker.close(),
  };
}

Deno.test("invoker: the first request to a never-started worker is a cold start, sent and accepted in 0-RTT", async () => {
  await using bed = invokerWith();
  const first = await bed.call("/hi", { method: "POST", body: "there" });
  assert.equal(await first.text(), "POST /hi there");
  assert.equal(first.headers.get("x-qfaas-cold-start"), "1");
  assert.equal(first.headers.get("x-qfaas-0rtt"), "accepted");
  assert.equal(first.headers.get("x-qfaas-transport"), "h3");
  assert.match(
    first.headers.get("server-timing") ?? "",
    /function;dur=.*spawn;dur=.*connect;dur=.*total;dur=/,
  );
  const second = await bed.call("/again");
  assert.equal(await second.text(), "GET /again");
  assert.equal(second.headers.get("x-qfaas-cold-start"), null, "warm");
  assert.equal(second.headers.get("x-qfaas-worker"), first.headers.get("x-qfaas-worker"), "reused");
});

Deno.test("invoker: a worker is this same program re-executed with the worker subcommand", async () => {
  await using bed = invokerWith();
  const response = await bed.call("/");
  await response.body?.cancel();
  const [pid] = bed.invoker.pool("echo").pids();
  const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
  const main = new URL("../main.ts", import.meta.url).pathname;
  assert.deepEqual(argv.slice(argv.indexOf(main)), [main, "worker", ""]);
  assert.ok(!argv.some((arg) => arg.endsWith("watchdog/main.ts")), argv.join(" "));
});

// Why workers run on a full runtime with their own flags, never as a compiled binary
// (whose grant is fixed at build time): a broad grant cannot be narrowed from inside.
Deno.test("invoker: a process granted all reads cannot revoke one path (so each worker gets its grant as flags)", async () => {
  const probe = `
    await Deno.permissions.revoke({ name: "read", path: "/etc" });
    Deno.readTextFileSync("/etc/hostname");
    console.log("still readable");`;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, probe);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--no-config", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(output.stdout).trim(), "still readable");
    // The same revoke does narrow a grant that named the path: the flag is the boundary.
    const narrow = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=/etc,${file}`, "--no-config", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.match(new TextDecoder().decode(narrow.stderr), /NotCapable/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("invoker: without pre-seeding, a new worker's first connection is a full handshake; the next resumes in 0-RTT", async () => {
  await using bed = invokerWith({ preseed: false, connection: "new" });
  const first = await bed.call("/one");
  assert.equal(await first.text(), "GET /one");
  assert.equal(first.headers.get("x-qfaas-cold-start"), "1");
  assert.equal(first.headers.get("x-qfaas-0rtt"), "none", "no session to offer yet");
  const second = await bed.call("/two");
  assert.equal(await second.text(), "GET /two");
  assert.equal(second.headers.get("x-qfaas-0rtt"), "accepted", "the worker's own ticket");
});

Deno.test("invoker: a worker writes only where its function's writable paths allow", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qfaas-writable-" });
  try {
    await using allowed = invokerWith({ writable: [`${dir}/data`] });
    await Deno.mkdir(`${dir}/data`);
    const ok = await allowed.call(`/write?to=${dir}/data/out.txt`, {
      method: "POST",
      body: "kept",
    });
    assert.equal(await ok.text(), "written");
    assert.equal(await Deno.readTextFile(`${dir}/data/out.txt`), "kept");
    const outside = await allowed.call(`/write?to=${dir}/elsewhere.txt`, {
      method: "POST",
      body: "x",
    });
    assert.equal(outside.status, 403);
    assert.equal(await outside.text(), "NotCapable");
    await using plain = invokerWith();
    const denied = await plain.call(`/write?to=${dir}/data/other.txt`, {
      method: "POST",
      body: "x",
    });
    assert.equal(denied.status, 403, "no writable paths: no writes at all");
    await denied.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("invoker: N concurrent requests scale the pool up to N workers, within max", async () => {
  await using bed = invokerWith({ max: 3 });
  const responses = await Promise.all([1, 2, 3].map(() => bed.call("/slow")));
  const workers = new Set(responses.map((r) => r.headers.get("x-qfaas-worker")));
  await Promise.all(responses.map((r) => r.text()));
  assert.equal(workers.size, 3);
  assert.equal(bed.invoker.pool("echo").size, 3);
});

Deno.test("invoker: warm() starts min workers ahead of the first request", async () => {
  await using bed = invokerWith({ min: 2, max: 3 });
  await bed.invoker.warm("echo");
  assert.equal(bed.invoker.pool("echo").size, 2);
  const first = await bed.call("/first");
  assert.equal(
    first.headers.get("x-qfaas-cold-start"),
    null,
    "no cold start: a warm worker took it",
  );
  assert.equal(
    first.headers.get("x-qfaas-0rtt"),
    "accepted",
    "its first connection still rode 0-RTT",
  );
  await first.text();
});

Deno.test("invoker: idle workers are reaped", async () => {
  await using bed = invokerWith({ idleMs: 200 });
  await (await bed.call("/x")).text();
  assert.equal(bed.invoker.pool("echo").size, 1);
  for (let i = 0; i < 50 && bed.invoker.pool("echo").size > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(bed.invoker.pool("echo").size, 0, "scaled back to zero");
  // The entry goes when the process has ended (after its drain).
  for (let i = 0; i < 250 && bed.store.workers().length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(bed.store.workers(), [], "and the 0-RTT store forgot the worker");
});

Deno.test("invoker: a worker that crashes mid-request gives 502; the next request runs on a fresh worker", async () => {
  await using bed = invokerWith();
  const warm = await bed.call("/warm");
  const before = warm.headers.get("x-qfaas-worker");
  await warm.text();
  const crashed = await bed.call("/crash");
  assert.equal(crashed.status, 502);
  const problem = await crashed.json();
  assert.equal(problem.function, "echo");
  assert.equal(problem.worker, before);
  const next = await bed.call("/after");
  assert.equal(await next.text(), "GET /after");
  assert.notEqual(next.headers.get("x-qfaas-worker"), before);
});

Deno.test("invoker: a worker stuck in a loop gets 504 and is replaced", async () => {
  await using bed = invokerWith({ execTimeoutMs: 300 });
  const stuck = await bed.call("/spin");
  assert.equal(stuck.status, 504);
  const worker = (await stuck.json()).worker;
  const next = await bed.call("/after");
  assert.equal(await next.text(), "GET /after");
  assert.notEqual(next.headers.get("x-qfaas-worker"), worker);
});

Deno.test("invoker: max_inflight reached on the only worker gives the caller 429; the worker carries on", async () => {
  await using bed = invokerWith({ max: 1, maxInflight: 1 });
  await (await bed.call("/warm")).text();
  const [slow, refused] = await Promise.all([
    bed.call("/slow"),
    new Promise((r) => setTimeout(r, 100)).then(() => bed.call("/second")),
  ]);
  assert.equal(refused.status, 429);
  assert.match(await refused.text(), /max_inflight/);
  assert.equal(refused.headers.get("x-qfaas-worker"), slow.headers.get("x-qfaas-worker"));
  assert.equal(await slow.text(), "GET /slow");
  const after = await bed.call("/after");
  assert.equal(await after.text(), "GET /after", "the same worker serves once a slot is free");
  assert.equal(after.headers.get("x-qfaas-worker"), slow.headers.get("x-qfaas-worker"));
});

Deno.test("invoker: tls, tls12 and tcp workers, and a new connection per request", async () => {
  for (const transport of ["tls", "tls12", "tcp"] as const) {
    await using bed = invokerWith({ transport, connection: "new" });
    const response = await bed.call("/t");
    assert.equal(await response.text(), "GET /t");
    assert.equal(response.headers.get("x-qfaas-transport"), transport);
    assert.equal(response.headers.get("x-qfaas-0rtt"), "none");
  }
  await using h3 = invokerWith({ connection: "new" });
  for (let i = 0; i < 3; i++) {
    const response = await h3.call(`/n${i}`);
    assert.equal(await response.text(), `GET /n${i}`);
    assert.equal(
      response.headers.get("x-qfaas-0rtt"),
      "accepted",
      "each new connection rides 0-RTT",
    );
  }
});

Deno.test("invoker: killing a worker also ends its upstream process (own process group)", async () => {
  const { spawnWorker } = await import("./worker_process.ts");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const store = new MemoryStore();
  const worker = await spawnWorker(
    {
      name: "py",
      upstream: {
        fprocess: `python3 ${
          new URL("../watchdog/testdata/python/server.py", import.meta.url).pathname
        }`,
        upstreamUrl: `http://127.0.0.1:${port}`,
        cwd: new URL("../watchdog/testdata/python", import.meta.url).pathname,
      },
      env: { PORT: String(port) },
    },
    ca,
    store,
  );
  const http = Deno.createHttpClient({});
  try {
    assert.equal(
      await (await fetch(`http://127.0.0.1:${port}/up`, { client: http })).text(),
      "python: GET /up",
    );
    worker.kill();
    await worker.exited;
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      try {
        await (await fetch(`http://127.0.0.1:${port}/still`, { client: http })).text();
        await new Promise((r) => setTimeout(r, 20));
      } catch {
        refused = true;
      }
    }
    assert.ok(refused, "the upstream is gone with its worker");
  } finally {
    http.close();
  }
});

Deno.test("invoker: a function's stdout and stderr reach onWorkerLog line by line, named", async () => {
  const lines: WorkerLogLine[] = [];
  const invoker = new Invoker({ ca, store: new MemoryStore(), onWorkerLog: (l) => lines.push(l) });
  invoker.register({ name: "logger", module });
  try {
    await (await invoker.invoke("logger", new Request("http://gateway/log"))).text();
    const deadline = Date.now() + 2000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const worker = invoker.pool("logger").workers[0];
    assert.deepEqual(
      lines.map(({ stream, text }) => [stream, text]).sort(),
      [["stderr", "to stderr"], ["stdout", "to stdout"]],
    );
    assert.ok(lines.every((l) => l.function === "logger" && l.worker === worker));
  } finally {
    await invoker.close();
  }
});
