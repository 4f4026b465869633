// scaffold() writes functions that discoverFunctions() finds and the real invoker runs.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Invoker } from "../invoker/mod.ts";
import { createCa } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { type DiscoveredFunction, discoverFunctions } from "../config/mod.ts";
import { scaffold, type ScaffoldLang } from "./scaffold.ts";

const ca = await createCa("t");

async function tempDir() {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_scaffold_" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** The one function discovered in `dir`, with no problems. */
async function discoverOne(dir: string): Promise<DiscoveredFunction> {
  const { functions, problems } = await discoverFunctions(dir);
  assert.deepEqual(problems, []);
  assert.equal(functions.length, 1);
  return functions[0];
}

/** Runs the function through a real invoker: one GET /hi and one POST; returns the answers. */
async function invoke(found: DiscoveredFunction): Promise<{ status: number; body: string }[]> {
  const invoker = new Invoker({ ca, store: new MemoryStore() });
  try {
    invoker.register(found.fn);
    const answers = [];
    for (const init of [{}, { method: "POST", body: "some data" }]) {
      const response = await invoker.invoke(found.fn.name, new Request("http://x/hi", init));
      answers.push({ status: response.status, body: await response.text() });
    }
    return answers;
  } finally {
    await invoker.close();
  }
}

async function hasNode(): Promise<boolean> {
  try {
    return (await new Deno.Command("node", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

Deno.test("scaffold: a deno function is discovered and answers through the real invoker", async () => {
  await using t = await tempDir();
  const created = await scaffold(t.dir, "hello", "deno");
  assert.deepEqual(created, [
    join(t.dir, "hello"),
    join(t.dir, "hello/main.ts"),
    join(t.dir, "hello/qfaas.json"),
  ]);
  const found = await discoverOne(t.dir);
  assert.equal(found.runtime, "deno");
  assert.deepEqual(found.fn, {
    name: "hello",
    dir: join(t.dir, "hello"),
    root: t.dir,
    module: join(t.dir, "hello/main.ts"),
  });
  const [get, post] = await invoke(found);
  assert.equal(get.status, 200);
  assert.deepEqual(JSON.parse(get.body), {
    message: "Hello from hello",
    method: "GET",
    path: "/hi",
  });
  assert.equal(post.status, 200);
  assert.match(post.body, /"method": "POST"/);
});

Deno.test("scaffold: a python function is discovered and answers through the real invoker", async () => {
  await using t = await tempDir();
  const created = await scaffold(t.dir, "py-hello", "python");
  assert.deepEqual(created.slice(1), [
    join(t.dir, "py-hello/index.py"),
    join(t.dir, "py-hello/qfaas.json"),
  ]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(created[2])), {
    runtime: "python",
    fprocess: "python3 index.py",
    upstream_url: "http://127.0.0.1:0",
  });
  const url = "http://127.0.0.1:0"; // the watchdog picks a free port per worker
  const found = await discoverOne(t.dir);
  assert.equal(found.runtime, "python");
  assert.deepEqual(found.fn.upstream, {
    fprocess: "python3 index.py",
    upstreamUrl: url,
    cwd: created[0],
  });
  const [get, post] = await invoke(found);
  assert.equal(get.status, 200);
  assert.deepEqual(JSON.parse(get.body), {
    message: "Hello from py-hello",
    method: "GET",
    path: "/hi",
    body: "",
  });
  assert.equal(post.status, 200);
  assert.equal(JSON.parse(post.body).body, "some data", "echoes the body");
});

Deno.test("scaffold: a node function is discovered (and answers, where node is installed)", async () => {
  await using t = await tempDir();
  const created = await scaffold(t.dir, "js-hello", "node");
  assert.deepEqual(created.slice(1), [
    join(t.dir, "js-hello/index.js"),
    join(t.dir, "js-hello/qfaas.json"),
  ]);
  const found = await discoverOne(t.dir);
  assert.equal(found.runtime, "node");
  assert.equal(found.fn.upstream?.fprocess, "node index.js");
  if (!await hasNode()) return;
  const url = "http://127.0.0.1:0"; // the watchdog picks a free port per worker
  const running = await discoverOne(t.dir);
  assert.equal(running.fn.upstream?.upstreamUrl, url);
  const [get, post] = await invoke(running);
  assert.equal(get.status, 200);
  assert.match(get.body, /Hello from js-hello/);
  assert.equal(JSON.parse(post.body).body, "some data", "echoes the body");
});

Deno.test("scaffold: upstream functions ask for any free port (port 0), so workers never clash", async () => {
  await using t = await tempDir();
  await scaffold(t.dir, "first", "python");
  await scaffold(t.dir, "second", "node");
  await scaffold(t.dir, "third", "deno");
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions.map((f) => [f.fn.name, f.fn.upstream?.upstreamUrl]), [
    ["first", "http://127.0.0.1:0"],
    ["second", "http://127.0.0.1:0"],
    ["third", undefined],
  ]);
});

Deno.test("scaffold: refuses an existing directory and an invalid name", async () => {
  await using t = await tempDir();
  await Deno.mkdir(join(t.dir, "taken"));
  await Deno.writeTextFile(join(t.dir, "taken/keep.txt"), "mine");
  await assert.rejects(
    () => scaffold(t.dir, "taken", "deno"),
    new RegExp(`Cannot create function "taken": ${join(t.dir, "taken")} already exists`),
  );
  assert.equal(await Deno.readTextFile(join(t.dir, "taken/keep.txt")), "mine", "untouched");
  for (const name of ["Hello", "-x", "a_b", "x".repeat(64), ""]) {
    await assert.rejects(() => scaffold(t.dir, name, "deno"), /a name is lowercase letters/);
  }
  await assert.rejects(
    () => scaffold(t.dir, "ok", "ruby" as ScaffoldLang),
    /the language must be deno, python, node, received "ruby"/,
  );
  assert.deepEqual([...Deno.readDirSync(t.dir)].map((e) => e.name), ["taken"], "nothing created");
});
