// A hostile http-mode upstream (Python) under `qfaas dev`, run as a user
// runs it: a functions directory inside a temporary home, outside the
// repository. In the bubblewrap sandbox every escape it tries is refused —
// the dev CA key, the home, another function's .env and the directory's
// .secrets/, another worker's /proc/<pid>/environ, key material in its own
// environment, writes outside allow_write, other processes — and a write
// inside allow_write works. Where bwrap cannot create its namespaces, the
// upstream runs unsandboxed and its worker says so.
import assert from "node:assert/strict";
import { join } from "node:path";
import { project, startDev } from "./_dev_process.ts";
// Not through watchdog/mod.ts: it does not export the sandbox (yet).
import { sandboxSupport } from "../watchdog/sandbox.ts";

const PROBE = await Deno.readTextFile(
  new URL("./testdata/containment_upstream/index.py", import.meta.url),
);
const support = await sandboxSupport();
if (!support.available) {
  console.warn(
    `containment_upstream_test: SKIPPING the sandbox test: ${support.reason} (${support.hint})`,
  );
}

const OTHER_SECRET = "other-function-dotenv-secret";
const DIRECTORY_SECRET = "functions-directory-secret";
const HOME_SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- home-secret";

/** One escape's outcome, as the probe reports it. */
interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: string;
}

Deno.test({
  name: "qfaas dev: a sandboxed upstream is refused every escape, and may write its allow_write",
  ignore: !support.available,
  async fn() {
    await using files = await project({
      "probe/qfaas.json": JSON.stringify({ runtime: "python", allow_write: ["data"] }),
      "probe/index.py": PROBE,
      "probe/data/.keep": "",
      "probe/.env": "PROBE_OWN=own-dotenv\n",
      "other/main.ts": "export default () => new Response(String(Deno.pid));\n",
      "other/.env": `OTHER_SECRET=${OTHER_SECRET}\n`,
      ".secrets/api-key": `${DIRECTORY_SECRET}\n`,
    });
    // The project directory is the home: the functions directory and the
    // cache (with the dev CA key) inside it, as ~/project and ~/.cache are.
    const home = files.dir;
    await Deno.mkdir(join(home, ".ssh"));
    await Deno.writeTextFile(join(home, ".ssh", "id_ed25519"), HOME_SECRET);
    // A host directory outside the temporary one (whose path in the sandbox is its private /tmp).
    const outside = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "qfaas_outside_" });
    await using _outside = {
      [Symbol.asyncDispose]: () => Deno.remove(outside, { recursive: true }),
    };
    await using dev = await startDev(files, { env: { HOME: home } });
    const call = (path: string, init?: RequestInit) => fetch(`${dev.http}/function/${path}`, init);

    const other = await call("other");
    assert.equal(other.status, 200);
    const otherPid = Number(await other.text());
    const caKey = join(files.env.XDG_CACHE_HOME, "qfaas", "ca", "ca-key.pem");
    const ask = {
      caKey,
      homeFile: join(home, ".ssh", "id_ed25519"),
      homeDir: home,
      userHome: Deno.env.get("HOME") ?? "/root",
      otherEnv: join(files.functions, "other", ".env"),
      secretsDir: join(files.functions, ".secrets"),
      secretFile: join(files.functions, ".secrets", "api-key"),
      otherPid,
      otherFunctionFile: join(files.functions, "other", "pwned.txt"),
      homeWriteFile: join(home, "pwned.txt"),
      outsideFile: join(outside, "pwned.txt"),
      allowedFile: join(files.functions, "probe", "data", "out.txt"),
    };
    // What it must not reach is there on the host.
    for (const path of [caKey, ask.homeFile, ask.otherEnv, ask.secretFile]) {
      assert.ok((await Deno.stat(path)).isFile, `${path} exists on the host`);
    }
    const response = await call("probe", { method: "POST", body: JSON.stringify(ask) });
    assert.equal(response.status, 200);
    const report = await response.json() as Record<string, unknown>;
    const refused = (name: string, secret?: string) => {
      const outcome = report[name] as Outcome;
      assert.equal(outcome.ok, false, `${name} was refused: ${JSON.stringify(outcome)}`);
      if (secret) assert.ok(!JSON.stringify(outcome).includes(secret), `${name} leaked`);
    };
    refused("ca_key", "PRIVATE KEY");
    refused("home_file", HOME_SECRET);
    // The home may show the way to the function's own directory (mount points), nothing more.
    const homeDir = report.home_dir as Outcome;
    if (homeDir.ok) assert.deepEqual(homeDir.value, ["functions"], "only the way to its directory");
    refused("user_home");
    refused("other_env", OTHER_SECRET);
    refused("secrets_dir");
    refused("secret_file", DIRECTORY_SECRET);
    refused("other_environ", OTHER_SECRET);
    refused("write_own_dir");
    refused("write_other_function");
    refused("write_outside");
    // The home lies under /tmp here, which in the sandbox is its own: a write
    // there may land in that private /tmp, never on the host (checked below).
    const homeWrite = report.write_home as Outcome;
    if (homeWrite.ok) assert.equal(homeWrite.value, ask.homeWriteFile);
    assert.deepEqual(report.key_names, [], "no key names in its environment");
    assert.deepEqual(report.private_key_values, [], "no private key in its environment");
    assert.equal(report.own_env, "own-dotenv", "its own .env still reaches it");

    const written = report.write_allowed as Outcome;
    assert.equal(written.ok, true, `allow_write is writable: ${JSON.stringify(written)}`);
    assert.equal(await Deno.readTextFile(ask.allowedFile), "written by the probe");
    for (
      const path of [
        ask.otherFunctionFile,
        ask.homeWriteFile,
        ask.outsideFile,
        join(files.functions, "probe", "pwned.txt"),
      ]
    ) {
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound, `${path} was not written`);
    }

    // Its own PID namespace: bwrap's init and the interpreter, no worker, no other process.
    const seen = report.processes as Outcome;
    assert.equal(seen.ok, true, JSON.stringify(seen));
    const processes = seen.value as { pid: number; cmdline: string }[];
    assert.ok(!processes.some((p) => p.pid === otherPid), "the other worker is not in /proc");
    for (const { cmdline } of processes) {
      assert.match(
        cmdline,
        /^(\S*\/)?(bwrap|python3) /,
        `only the sandbox's processes: ${cmdline}`,
      );
    }
    assert.ok(
      !dev.lines.some((line) => /^\[probe\] .*unsandboxed/.test(line)),
      "the probe ran sandboxed",
    );
  },
});

Deno.test("qfaas dev: where bwrap cannot create namespaces, an upstream runs unsandboxed and says so", async () => {
  await using files = await project({
    "probe/qfaas.json": JSON.stringify({ runtime: "python" }),
    "probe/index.py": PROBE,
  });
  // A PATH whose bwrap fails as it does in a container without user
  // namespaces, and whose python3 is the interpreter itself (not a shim).
  const bin = join(files.dir, "bin");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    join(bin, "bwrap"),
    "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n",
    { mode: 0o755 },
  );
  const python = await new Deno.Command("python3", {
    args: ["-c", "import sys; print(sys.executable)"],
    stderr: "inherit",
  }).output();
  assert.ok(python.success, "python3 runs");
  await Deno.symlink(new TextDecoder().decode(python.stdout).trim(), join(bin, "python3"));

  await using dev = await startDev(files, { env: { PATH: bin } });
  // Once at start, from qfaas dev itself …
  await dev.waitFor(/^! function probe runs unsandboxed, .*Creating new namespace failed/);
  const response = await fetch(`${dev.http}/function/probe`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "probe", "it still serves");
  // … and from the worker that runs it.
  const [line] = await dev.waitFor(/^\[probe\] \{.*"level":"warn".*\}$/);
  const warning = JSON.parse(line.slice("[probe] ".length));
  assert.match(warning.warning, /runs unsandboxed: .*Creating new namespace failed/);
  assert.match(warning.hint, /user namespaces/);
});
