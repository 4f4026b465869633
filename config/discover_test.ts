// discoverFunctions() on real directories: qfaas.json, zero-config and stack.yml layouts.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  describeEmpty,
  discoverFunctions,
  type DiscoveryProblem,
  parseDotenv,
  secretEnvName,
} from "./mod.ts";

/** A temporary directory holding `files` (path → content); removed on dispose. */
async function tree(files: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_discover_" });
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, path), content);
  }
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

const HANDLER = "export default () => new Response('ok');\n";
const json = (value: unknown) => JSON.stringify(value);
const messages = (problems: DiscoveryProblem[]) => problems.map((p) => p.message);

Deno.test("discover: a qfaas.json with every field gives exactly that InvokerFunction", async () => {
  await using t = await tree({
    "api/qfaas.json": json({
      name: "orders-api",
      runtime: "deno",
      handler: "src/app.ts",
      env: { MODE: "dev", FROM_FILE: "overridden" },
      env_file: "config.env",
      secrets: ["db-password"],
      min: 1,
      max: 3,
      idle_timeout: "2m",
      exec_timeout: "1m30s",
      max_inflight: 5,
      memory: "256Mi",
      transport: "tls",
      connection: "new",
      early_data: "idempotent",
      max_body: "100Mi",
    }),
    "api/src/app.ts": HANDLER,
    "api/config.env": "FROM_FILE=1\nONLY_FILE=2\n",
    ".secrets/db-password": "hunter2\n",
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions, [{
    fn: {
      name: "orders-api",
      dir: join(t.dir, "api"),
      root: t.dir,
      module: join(t.dir, "api/src/app.ts"),
      transport: "tls",
      env: { FROM_FILE: "overridden", ONLY_FILE: "2", MODE: "dev", DB_PASSWORD: "hunter2" },
      execTimeoutMs: 90_000,
      maxInflight: 5,
      memoryMiB: 256,
      min: 1,
      max: 3,
      idleMs: 120_000,
      connection: "new",
      earlyData: "idempotent",
      maxBodyBytes: 100 * 1024 * 1024,
    },
    dir: join(t.dir, "api"),
    source: join(t.dir, "api/qfaas.json"),
    runtime: "deno",
  }]);
});

Deno.test("discover: qfaas.json defaults: the directory's name, deno, the first entry file, .env", async () => {
  await using t = await tree({
    "hello/qfaas.json": "{}",
    "hello/index.ts": HANDLER,
    "hello/mod.ts": HANDLER,
    "hello/.env": "GREETING=hi\n",
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions.map((f) => f.fn), [{
    name: "hello",
    dir: join(t.dir, "hello"),
    root: t.dir,
    module: join(t.dir, "hello/index.ts"),
    env: { GREETING: "hi" },
  }]);
});

Deno.test("discover: numbers are milliseconds and MiB; units ms, s, m and M, Gi are read", async () => {
  await using t = await tree({
    "a/qfaas.json": json({ exec_timeout: 2500, idle_timeout: "500ms", memory: 96 }),
    "a/main.ts": HANDLER,
    "b/qfaas.json": json({ exec_timeout: "10s", idle_timeout: "2m", memory: "256M" }),
    "b/main.ts": HANDLER,
    "c/qfaas.json": json({ memory: "1Gi" }),
    "c/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    functions.map(({ fn }) => [fn.execTimeoutMs, fn.idleMs, fn.memoryMiB]),
    [[2500, 500, 96], [10_000, 120_000, 256], [undefined, undefined, 1024]],
  );
});

Deno.test("discover: a directory with only main.ts is a zero-config Deno function", async () => {
  await using t = await tree({ "edge/main.ts": HANDLER, "notes/README.md": "not a function" });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions, [{
    fn: {
      name: "edge",
      dir: join(t.dir, "edge"),
      root: t.dir,
      module: join(t.dir, "edge/main.ts"),
    },
    dir: join(t.dir, "edge"),
    source: join(t.dir, "edge/main.ts"),
    runtime: "deno",
  }]);
});

Deno.test("discover: python, node and upstream runtimes get fprocess and upstream_url", async () => {
  await using t = await tree({
    "py/qfaas.json": json({ runtime: "python" }),
    "js/qfaas.json": json({ runtime: "node", upstream_url: "http://127.0.0.1:9000" }),
    "go/qfaas.json": json({ runtime: "upstream", fprocess: "./server -v" }),
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions.map((f) => [f.runtime, f.fn]), [
    ["upstream", {
      name: "go",
      dir: join(t.dir, "go"),
      root: t.dir,
      upstream: {
        fprocess: "./server -v",
        upstreamUrl: "http://127.0.0.1:0",
        cwd: join(t.dir, "go"),
      },
    }],
    ["node", {
      name: "js",
      dir: join(t.dir, "js"),
      root: t.dir,
      upstream: {
        fprocess: "node index.js",
        upstreamUrl: "http://127.0.0.1:9000",
        cwd: join(t.dir, "js"),
      },
    }],
    ["python", {
      name: "py",
      dir: join(t.dir, "py"),
      root: t.dir,
      upstream: {
        fprocess: "python3 index.py",
        upstreamUrl: "http://127.0.0.1:0",
        cwd: join(t.dir, "py"),
      },
    }],
  ]);
});

Deno.test("discover: parseDotenv() reads quotes, escapes, comments and the export prefix", () => {
  const { env, errors } = parseDotenv([
    "# a comment",
    "",
    "PLAIN=value # trailing comment",
    "export EXPORTED=yes",
    "SPACED = around  ",
    "SINGLE='kept \\n literally # too'",
    'DOUBLE="line one\\nline \\"two\\"\\ttab \\\\ done" # comment',
    "EMPTY=",
    "HASH=a#b",
    "URL=http://x/?a=b=c",
    "CRLF=ok\r",
  ].join("\n"));
  assert.deepEqual(errors, []);
  assert.deepEqual(env, {
    PLAIN: "value",
    EXPORTED: "yes",
    SPACED: "around",
    SINGLE: "kept \\n literally # too",
    DOUBLE: 'line one\nline "two"\ttab \\ done',
    EMPTY: "",
    HASH: "a#b",
    URL: "http://x/?a=b=c",
    CRLF: "ok",
  });
});

Deno.test("discover: a malformed dotenv line is a problem naming the file and its line number", async () => {
  await using t = await tree({
    "api/main.ts": HANDLER,
    "api/.env": 'GOOD=1\n\nthis is not an assignment\nOPEN="never closed\n',
    "ok/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => f.fn.name), ["ok"], "the other function still runs");
  const envFile = join(t.dir, "api/.env");
  assert.deepEqual(problems.map((p) => [p.function, p.file]), [["api", envFile], ["api", envFile]]);
  assert.match(problems[0].message, new RegExp(`^${envFile}:3: expected KEY=VALUE`));
  assert.match(problems[1].message, new RegExp(`^${envFile}:4: unterminated " quote`));
});

Deno.test("discover: secrets come from .secrets as env vars; a missing one is a problem naming its path", async () => {
  await using t = await tree({
    "billing/qfaas.json": json({ secrets: ["stripe.key", "db-password"] }),
    "billing/main.ts": HANDLER,
    "audit/qfaas.json": json({ secrets: ["stripe.key", "missing-one"] }),
    "audit/main.ts": HANDLER,
    ".secrets/stripe.key": "sk_test\r\n",
    ".secrets/db-password": "multi\nline\n",
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => [f.fn.name, f.fn.env]), [
    ["billing", { STRIPE_KEY: "sk_test", DB_PASSWORD: "multi\nline" }],
  ]);
  const missing = join(t.dir, ".secrets/missing-one");
  assert.equal(problems.length, 1);
  assert.equal(problems[0].function, "audit");
  assert.equal(problems[0].file, missing);
  assert.ok(problems[0].message.includes(missing), problems[0].message);
  assert.equal(secretEnvName("my.api-key"), "MY_API_KEY");
});

Deno.test("discover: unknown fields and wrong types are problems naming the file, field and expectation", async () => {
  await using t = await tree({
    "typo/qfaas.json": json({ exec_timout: "5s", max: "3" }),
    "typo/main.ts": HANDLER,
    "types/qfaas.json": json({
      runtime: "ruby",
      env: { A: 1 },
      memory: "lots",
      exec_timeout: "5 minutes",
      secrets: "db",
      transport: "udp",
      min: -1,
    }),
    "types/main.ts": HANDLER,
    "bad-json/qfaas.json": "{ nope",
    "fine/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => f.fn.name), ["fine"]);
  const typo = join(t.dir, "typo/qfaas.json");
  const types = join(t.dir, "types/qfaas.json");
  const bad = join(t.dir, "bad-json/qfaas.json");
  assert.match(problems[0].message, new RegExp(`^${bad}: not valid JSON: `));
  assert.deepEqual(messages(problems).slice(1), [
    `${types}: field "runtime" must be one of "deno", "python", "node", "upstream", received "ruby"`,
    `${types}: field "env" must be a map of variable names to strings (A is 1), received {"A":1}`,
    `${types}: field "secrets" must be a list of secret names (letters, digits, '.', '_', '-'), received "db"`,
    `${types}: field "min" must be an integer >= 0, received -1`,
    `${types}: field "exec_timeout" must be a duration: milliseconds, or a string like "10s", "500ms" or "2m", received "5 minutes"`,
    `${types}: field "memory" must be MiB as a positive integer, or a string like "128Mi" or "256M", received "lots"`,
    `${types}: field "transport" must be one of "h3", "tls", "tls12", "tcp", received "udp"`,
    `${typo}: unknown field "exec_timout" (did you mean "exec_timeout"?)`,
    `${typo}: field "max" must be an integer >= 1, received "3"`,
  ]);
  assert.deepEqual(
    problems.map((p) => p.function),
    [undefined, ...Array(7).fill("types"), "typo", "typo"],
  );
});

Deno.test("discover: runtime mismatches are problems: handler for python, fprocess for deno, upstream without fprocess", async () => {
  await using t = await tree({
    "a/qfaas.json": json({ runtime: "python", handler: "main.py" }),
    "b/qfaas.json": json({ fprocess: "python3 x.py" }),
    "b/main.ts": HANDLER,
    "c/qfaas.json": json({ runtime: "upstream" }),
    "d/qfaas.json": json({ handler: "gone.ts" }),
    "e/qfaas.json": json({ min: 5 }),
    "e/main.ts": HANDLER,
    "f/qfaas.json": "{}",
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions, []);
  assert.deepEqual(problems.map((p) => [p.function, p.message.split(": ").slice(1).join(": ")]), [
    ["a", 'field "handler" is for the deno runtime; a python function sets "fprocess"'],
    ["b", 'field "fprocess" is for runtimes python, node and upstream, not deno'],
    ["c", 'runtime "upstream" needs "fprocess", the command that starts its HTTP server'],
    ["d", `field "handler": no file ${join(t.dir, "d/gone.ts")}`],
    ["e", "min (5) exceeds max (4, the default)"],
    ["f", 'no Deno entry: add main.ts, index.ts, mod.ts, main.js, index.js or set "handler"'],
  ]);
});

Deno.test("discover: invalid function names are problems, from qfaas.json or the directory", async () => {
  await using t = await tree({
    "ok/qfaas.json": json({ name: "Not_Valid" }),
    "ok/main.ts": HANDLER,
    "MyFunc/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions, []);
  assert.deepEqual(problems.map((p) => p.function), ["MyFunc", "Not_Valid"]);
  assert.match(problems[0].message, /directory name "MyFunc" is not a valid function name/);
  assert.match(problems[1].message, /field "name" must be lowercase letters/);
});

Deno.test("discover: a second function with the same name is a problem; the first is kept", async () => {
  await using t = await tree({
    "a/qfaas.json": json({ name: "same" }),
    "a/main.ts": HANDLER,
    "b/qfaas.json": json({ name: "same" }),
    "b/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => f.dir), [join(t.dir, "a")]);
  assert.deepEqual(problems, [{
    function: "same",
    file: join(t.dir, "b/qfaas.json"),
    message: `${join(t.dir, "b/qfaas.json")}: function "same" is already defined in ${
      join(t.dir, "a/qfaas.json")
    }; names must be unique`,
  }]);
});

Deno.test("discover: stack.yml: an upstream and a deno function, labels, limits, environment files, secrets", async () => {
  const dir = new URL("./testdata/openfaas", import.meta.url).pathname;
  const stack = join(dir, "stack.yml");
  const { functions, problems } = await discoverFunctions(dir);
  assert.deepEqual(problems, []);
  assert.deepEqual(functions, [
    {
      fn: {
        name: "greet",
        dir: join(dir, "greet"),
        root: dir,
        upstream: {
          fprocess: "python3 server.py",
          upstreamUrl: "http://127.0.0.1:5001",
          cwd: join(dir, "greet"),
        },
        env: {
          REGION: "eu-west", // env.yml (YAML, OpenFaaS style)
          RETRIES: "3", // env.yml said 1; environment wins
          GREETING: "hello there", // common.env (dotenv)
          LEVEL: "debug",
          exec_timeout: "30s",
          max_inflight: "8",
          write_debug: "true",
          API_KEY: "s3cret", // .secrets/api-key
        },
        execTimeoutMs: 30_000,
        maxInflight: 8,
        memoryMiB: 256,
        min: 1,
        max: 3,
      },
      dir: join(dir, "greet"),
      source: stack,
      runtime: "python",
    },
    {
      fn: {
        name: "shout",
        dir: join(dir, "shout"),
        root: dir,
        module: join(dir, "shout/main.ts"),
        memoryMiB: 64,
      },
      dir: join(dir, "shout"),
      source: stack,
      runtime: "deno",
    },
  ]);
});

Deno.test("discover: stack.yml problems do not hide its other functions or the directory's", async () => {
  await using t = await tree({
    "stack.yml": [
      "functions:",
      "  ok:",
      "    handler: ./ok",
      "  image-only:",
      "    image: example/x:1",
      "  classic:",
      "    handler: ./classic",
      "    environment:",
      "      fprocess: cat",
      "  no-entry:",
      "    handler: ./classic",
      "  plain:",
      "    lang: go",
      "    handler: ./plain",
      "    environment:",
      "      fprocess: ./server",
      "      mode: http",
      "      exec_timeout: 20",
      "  gone:",
      "    handler: ./nowhere",
      "    environment_file: [missing.env]",
    ].join("\n"),
    "ok/main.ts": HANDLER,
    "classic/handler.sh": "cat\n",
    "plain/server": "",
    "zero/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => [f.fn.name, f.runtime]), [
    ["ok", "deno"],
    ["plain", "upstream"],
    ["zero", "deno"],
  ]);
  const plain = functions[1].fn;
  assert.deepEqual(
    plain.upstream?.upstreamUrl,
    "http://127.0.0.1:0",
    "mode http: the default URL",
  );
  assert.equal(plain.execTimeoutMs, 20_000, "of-watchdog reads a bare number as seconds");
  assert.deepEqual(problems.map((p) => p.function), [
    "image-only",
    "classic",
    "no-entry",
    "gone",
    "gone",
  ]);
  const text = messages(problems).join("\n");
  assert.match(text, /"image-only": no "handler"/);
  assert.match(text, /"classic": environment "fprocess" needs "upstream_url"/);
  assert.match(text, /"no-entry": the handler .*classic has no Deno entry/);
  assert.match(text, /missing\.env: cannot read the environment file: not found/);
  assert.match(text, /"gone": "handler": no directory .*nowhere/);
});

Deno.test("discover: invalid YAML in stack.yml is one problem naming the file", async () => {
  await using t = await tree({ "stack.yml": "functions:\n  a: [unclosed\n", "b/main.ts": HANDLER });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => f.fn.name), ["b"]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].file, join(t.dir, "stack.yml"));
  assert.match(problems[0].message, /stack\.yml: not valid YAML/);
});

Deno.test("discover: an empty directory has no functions, and describeEmpty() says what to add", async () => {
  await using t = await tree({ "README.md": "# nothing here" });
  assert.deepEqual(await discoverFunctions(t.dir), { functions: [], problems: [] });
  const text = describeEmpty(t.dir);
  assert.match(text, /No functions found in/);
  assert.match(text, /main\.ts/);
  assert.match(text, /qfaas\.json/);
  assert.match(text, /stack\.yml/);
  assert.match(text, /qfaas new hello/);
  assert.doesNotMatch(text, /looks like a function itself/);
});

Deno.test("discover: describeEmpty() notices a function directory given instead of its parent", async () => {
  await using t = await tree({ "main.ts": HANDLER });
  assert.match(describeEmpty(t.dir), /looks like a function itself \(it has main\.ts\)/);
});

Deno.test("discover: a directory that does not exist throws NotFound naming it", async () => {
  await assert.rejects(
    () => discoverFunctions("/nonexistent/qfaas-functions"),
    (error: Error) =>
      error instanceof Deno.errors.NotFound &&
      error.message.includes("/nonexistent/qfaas-functions"),
  );
});

Deno.test("discover: directories starting with . or _ are skipped, even with qfaas.json", async () => {
  await using t = await tree({
    ".hidden/main.ts": HANDLER,
    "_shared/main.ts": HANDLER,
    "_lib/qfaas.json": "{}",
    ".secrets/token": "x",
    "real/main.ts": HANDLER,
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => f.fn.name), ["real"]);
  assert.deepEqual(problems, []);
});

Deno.test("discover: allow_write paths resolve against the function's directory; a non-list is a problem", async () => {
  await using t = await tree({
    "store/main.ts": HANDLER,
    "store/qfaas.json": json({ allow_write: ["data", "/tmp/shared.db"] }),
    "bad/main.ts": HANDLER,
    "bad/qfaas.json": json({ allow_write: "data" }),
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => [f.fn.name, f.fn.writable]), [
    ["store", [join(t.dir, "store/data"), "/tmp/shared.db"]],
  ]);
  assert.match(messages(problems)[0], /field "allow_write" must be a list of paths/);
});

Deno.test("discover: allow_ffi is opt-in and must be true or false", async () => {
  await using t = await tree({
    "native/main.ts": HANDLER,
    "native/qfaas.json": json({ allow_ffi: true }),
    "plain/main.ts": HANDLER,
    "bad/main.ts": HANDLER,
    "bad/qfaas.json": json({ allow_ffi: "yes" }),
  });
  const { functions, problems } = await discoverFunctions(t.dir);
  assert.deepEqual(functions.map((f) => [f.fn.name, f.fn.allowFfi]), [
    ["native", true],
    ["plain", undefined],
  ]);
  assert.match(messages(problems)[0], /field "allow_ffi" must be true or false/);
});
