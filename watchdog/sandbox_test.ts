import assert from "node:assert/strict";
import { join } from "node:path";
import {
  planSandbox,
  privatePaths,
  sandboxArgv,
  SandboxError,
  sandboxSupport,
  SYSTEM_DIRS,
  SYSTEM_FILES,
  unsandboxedNotice,
} from "./sandbox.ts";
import { startUpstream } from "./upstream.ts";

/** The mount options of an argv, as [option, ...its operands] in order. */
function mounts(argv: string[]): string[][] {
  const arity: Record<string, number> = {
    "--ro-bind": 2,
    "--ro-bind-try": 2,
    "--bind": 2,
    "--tmpfs": 1,
    "--remount-ro": 1,
    "--proc": 1,
    "--dev": 1,
  };
  const found: string[][] = [];
  for (let i = 0; i < argv.length && argv[i] !== "--"; i++) {
    const n = arity[argv[i]];
    if (n === undefined) continue;
    found.push(argv.slice(i, i + 1 + n));
    i += n;
  }
  return found;
}

/** Where `entry` (joined with spaces) is among `argv`'s mounts; -1 when absent. */
function at(argv: string[], entry: string): number {
  return mounts(argv).findIndex((m) => m.join(" ") === entry);
}

Deno.test("sandboxArgv() binds the runtime and the function's directory read-only, allow_write read-write, and a private /tmp, /proc and /dev", () => {
  const argv = sandboxArgv({
    command: ["python3", "index.py"],
    cwd: "/srv/functions/hello",
    writable: ["/srv/functions/hello/data", "/var/lib/shared.db"],
  });
  assert.equal(argv[0], "bwrap");
  const all = mounts(argv).map((m) => m.join(" "));
  for (const dir of SYSTEM_DIRS) {
    assert.ok(all.includes(`${dir === "/usr" ? "--ro-bind" : "--ro-bind-try"} ${dir} ${dir}`));
  }
  for (const path of SYSTEM_FILES) assert.ok(all.includes(`--ro-bind-try ${path} ${path}`), path);
  assert.ok(all.includes("--ro-bind /srv/functions/hello /srv/functions/hello"));
  assert.ok(all.includes("--bind /srv/functions/hello/data /srv/functions/hello/data"));
  assert.ok(all.includes("--bind /var/lib/shared.db /var/lib/shared.db"));
  assert.ok(all.includes("--tmpfs /tmp"));
  assert.ok(all.includes("--proc /proc"));
  assert.ok(all.includes("--dev /dev"));
  // Nothing else is bound: not /, not /etc, not a home.
  const sources = mounts(argv).filter((m) => m[0].includes("bind")).map((m) => m[1]);
  assert.deepEqual(
    sources.filter((path) =>
      !SYSTEM_DIRS.includes(path) && !SYSTEM_FILES.includes(path) && !path.startsWith("/srv/") &&
      path !== "/var/lib/shared.db"
    ),
    [],
  );
  assert.deepEqual(argv.slice(argv.indexOf("--chdir")), [
    "--chdir",
    "/srv/functions/hello",
    "--",
    "python3",
    "index.py",
  ]);
});

Deno.test("sandboxArgv() unshares pid, ipc and uts but not the network, drops every capability, dies with its parent and ends with a read-only root", () => {
  const argv = sandboxArgv({ command: ["node", "index.js"], cwd: "/srv/fn" });
  const options = argv.slice(0, argv.indexOf("--"));
  for (const flag of ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]) {
    assert.ok(options.includes(flag), flag);
  }
  assert.ok(options.includes("--new-session"));
  assert.deepEqual(
    options.slice(options.indexOf("--cap-drop"), options.indexOf("--cap-drop") + 2),
    [
      "--cap-drop",
      "ALL",
    ],
  );
  for (const flag of ["--unshare-net", "--unshare-all", "--share-net", "--cap-add"]) {
    assert.ok(!options.includes(flag), `no ${flag}: it listens on loopback for the watchdog`);
  }
  const list = mounts(argv);
  assert.deepEqual(list.at(-1), ["--remount-ro", "/"], "the root is made read-only last");
});

Deno.test("SYSTEM_FILES binds named files of /etc, never /etc itself, /etc/shadow or /etc/ssl/private", () => {
  for (const path of SYSTEM_FILES) {
    assert.ok(path.startsWith("/etc/"), path);
    assert.ok(!/^\/etc\/(shadow|gshadow|sudoers|ssl\/private)/.test(path), path);
  }
});

Deno.test("sandboxArgv() mounts a path's parents first: a function under /tmp after the private /tmp, allow_write inside after its directory", () => {
  const argv = sandboxArgv({
    command: ["python3", "index.py"],
    cwd: "/tmp/project/functions/fn",
    writable: ["/tmp/project/functions/fn/data"],
  });
  const tmp = at(argv, "--tmpfs /tmp");
  const own = at(argv, "--ro-bind /tmp/project/functions/fn /tmp/project/functions/fn");
  const data = at(
    argv,
    "--bind /tmp/project/functions/fn/data /tmp/project/functions/fn/data",
  );
  assert.ok(tmp >= 0 && tmp < own && own < data, `order: ${tmp} < ${own} < ${data}`);
  // The same path read-only and writable: writable wins, mounted after.
  const same = sandboxArgv({ command: ["x"], cwd: "/srv/fn", writable: ["/srv/fn"] });
  assert.ok(at(same, "--ro-bind /srv/fn /srv/fn") < at(same, "--bind /srv/fn /srv/fn"));
});

Deno.test("sandboxArgv() hides the home only where a bound path contains it, and a path inside it bound on purpose stays visible", () => {
  const home = { path: "/home/ada", kind: "dir" as const };
  // The usual case: the function lives in the home, which is not bound: nothing to hide.
  const usual = sandboxArgv({ command: ["x"], cwd: "/home/ada/project/fn", hidden: [home] });
  assert.equal(at(usual, "--tmpfs /home/ada"), -1);
  // allow_write: ["/home"] binds the home's parent: the home is covered, the function's directory is not.
  const wide = sandboxArgv({
    command: ["x"],
    cwd: "/home/ada/project/fn",
    writable: ["/home"],
    hidden: [home],
  });
  const parent = at(wide, "--bind /home /home");
  const hidden = at(wide, "--tmpfs /home/ada");
  const own = at(wide, "--ro-bind /home/ada/project/fn /home/ada/project/fn");
  assert.ok(parent < hidden && hidden < own, `order: ${parent} < ${hidden} < ${own}`);
  assert.equal(at(wide, "--remount-ro /home/ada"), hidden + 1, "the cover is read-only");
});

Deno.test("sandboxArgv() hides private paths last, even inside a path bound on purpose: a directory by an empty one, a file by /dev/null", () => {
  const argv = sandboxArgv({
    command: ["x"],
    cwd: "/srv/functions",
    writable: ["/home/ada/.cache/qfaas", "/home/ada/.cache"],
    private: [
      { path: "/home/ada/.cache/qfaas", kind: "dir" },
      { path: "/srv/functions/.secrets", kind: "dir" },
      { path: "/srv/functions/other/.env", kind: "file" },
      { path: "/elsewhere/.env", kind: "file" }, // under nothing bound: not mentioned
    ],
  });
  const list = mounts(argv).map((m) => m.join(" "));
  const cache = list.indexOf("--tmpfs /home/ada/.cache/qfaas");
  assert.ok(cache > list.indexOf("--bind /home/ada/.cache/qfaas /home/ada/.cache/qfaas"));
  assert.equal(list[cache + 1], "--remount-ro /home/ada/.cache/qfaas");
  assert.ok(list.includes("--tmpfs /srv/functions/.secrets"));
  assert.ok(list.includes("--ro-bind /dev/null /srv/functions/other/.env"));
  assert.ok(!argv.some((arg) => arg.startsWith("/elsewhere")));
  // Only the read-only root comes after them.
  assert.deepEqual(list.slice(cache).at(-1), "--remount-ro /");
  assert.ok(
    list.lastIndexOf("--ro-bind /dev/null /srv/functions/other/.env") >
      list.indexOf("--ro-bind /srv/functions /srv/functions"),
  );
});

Deno.test("sandboxArgv() rejects an empty command and relative paths", () => {
  assert.throws(() => sandboxArgv({ command: [], cwd: "/srv/fn" }), TypeError);
  assert.throws(
    () => sandboxArgv({ command: ["x"], cwd: "fn" }),
    /its directory must be absolute, received "fn"/,
  );
  assert.throws(
    () => sandboxArgv({ command: ["x"], cwd: "/srv/fn", writable: ["data"] }),
    /an allow_write path must be absolute, received "data"/,
  );
});

Deno.test("planSandbox() follows symbolic links, hides .secrets/ and other functions' .env but not its own, and the qfaas cache where it is bound", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "qfaas_sandbox_" }));
  try {
    const root = join(dir, "functions");
    await Deno.mkdir(join(root, "fn", "data"), { recursive: true });
    await Deno.mkdir(join(root, "other"), { recursive: true });
    await Deno.mkdir(join(root, ".secrets"));
    await Deno.writeTextFile(join(root, "fn", ".env"), "OWN=1\n");
    await Deno.writeTextFile(join(root, "other", ".env.local"), "OTHER=1\n");
    await Deno.mkdir(join(dir, "cache", "qfaas"), { recursive: true });
    await Deno.symlink(join(root, "fn"), join(dir, "link"));
    await Deno.writeTextFile(join(dir, "shared.db"), "");
    const plan = await planSandbox({
      command: ["python3", "index.py"],
      cwd: join(dir, "link"),
      writable: [join(dir, "link", "data"), root, join(dir, "shared.db")],
      env: { HOME: join(dir, "nobody-home"), XDG_CACHE_HOME: join(dir, "cache") },
    });
    assert.equal(plan.cwd, join(root, "fn"));
    assert.deepEqual(plan.writable, [join(root, "fn", "data"), root, join(dir, "shared.db")]);
    assert.deepEqual(plan.hidden, [], "a home that is not there needs no hiding");
    assert.deepEqual(plan.private!.toSorted((a, b) => a.path.localeCompare(b.path)), [
      { path: join(dir, "cache", "qfaas"), kind: "dir" },
      { path: join(root, ".secrets"), kind: "dir" },
      { path: join(root, "other", ".env.local"), kind: "file" },
    ]);
    assert.deepEqual(await privatePaths(join(root, "other"), join(root, "other")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planSandbox() refuses a missing allow_write path with a SandboxError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_sandbox_" });
  try {
    await assert.rejects(
      planSandbox({
        command: ["python3", "index.py"],
        cwd: dir,
        writable: [join(dir, "missing.db")],
        env: {},
      }),
      (error) => {
        assert.ok(error instanceof SandboxError);
        assert.equal(error.command, "python3 index.py");
        assert.match(error.message, /allow_write path .*missing\.db does not exist/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandboxSupport() probes once per process", () => {
  assert.equal(sandboxSupport(), sandboxSupport());
});

const support = await sandboxSupport();
if (!support.available) {
  console.warn(`sandbox_test: SKIPPING the tests that run bwrap: ${support.reason}`);
}

Deno.test("unsandboxedNotice() says nothing where the sandbox works, or when no function is an upstream", async () => {
  assert.equal(await unsandboxedNotice([]), null);
  if (support.available) assert.equal(await unsandboxedNotice(["hello-python"]), null);
  else assert.match((await unsandboxedNotice(["hello-python"]))!, /^function hello-python runs/);
});

/** A loopback port nobody listens on. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A Python upstream that answers each GET with what it could do, as JSON. */
const PROBE = `
import json, os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
def attempt(action):
    try:
        return [True, action()]
    except Exception as error:
        return [False, type(error).__name__]
def write(path):
    with open(path, "w") as file:
        file.write("x")
    return path
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        ask = json.loads(os.environ["ASK"])
        text = json.dumps({
            "cwd": os.getcwd(),
            "home": attempt(lambda: os.listdir(ask["home"])),
            "cache": attempt(lambda: os.listdir(ask["cache"])),
            "write_own": attempt(lambda: write("x.txt")),
            "write_data": attempt(lambda: write("data/x.txt")),
            "write_tmp": attempt(lambda: write(ask["tmpFile"])),
            "write_root": attempt(lambda: write(ask["rootFile"])),
            "loopback": attempt(lambda: urllib.request.urlopen(ask["loopback"]).read().decode()),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "tmpdir": os.environ.get("TMPDIR"),
        }).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

Deno.test({
  name:
    "startUpstream() sandboxed: a Python upstream sees its directory, writes only allow_write and its own /tmp, reaches loopback, and sees no home, cache or other process",
  ignore: !support.available,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "qfaas_sandbox_" }));
    try {
      const fn = join(dir, "home", "functions", "probe");
      await Deno.mkdir(join(fn, "data"), { recursive: true });
      await Deno.mkdir(join(dir, "home", ".cache", "qfaas"), { recursive: true });
      await Deno.writeTextFile(join(fn, "index.py"), PROBE);
      const port = freePort();
      const home = join(dir, "home");
      // The network namespace is shared: it reaches loopback (the watchdog's gateway proxy).
      await using server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        () => new Response("loopback"),
      );
      const loopback = `http://127.0.0.1:${server.addr.port}/`;
      // Unique names: were the sandbox broken, the host would keep them (and the test would say so).
      const tmpFile = `/tmp/qfaas-sandbox-test-${crypto.randomUUID()}`;
      const rootFile = `/qfaas-sandbox-test-${crypto.randomUUID()}`;
      const upstream = await startUpstream({
        fprocess: "python3 index.py",
        upstreamUrl: `http://127.0.0.1:${port}`,
        cwd: fn,
        writable: [join(fn, "data")],
        sandbox: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: home,
          PORT: String(port),
          TMPDIR: "/var/tmp/elsewhere",
          ASK: JSON.stringify({
            home,
            cache: join(home, ".cache", "qfaas"),
            tmpFile,
            rootFile,
            loopback,
          }),
        },
      });
      try {
        assert.equal(upstream.sandboxed, true);
        const report = await (await upstream.handler(new Request("http://upstream/"))).json();
        assert.equal(report.cwd, fn);
        // The home holds only the way to the function's directory (mount points).
        assert.deepEqual(report.home, [true, ["functions"]]);
        assert.deepEqual(report.cache, [false, "FileNotFoundError"]);
        assert.deepEqual(report.write_own, [false, "OSError"]);
        assert.deepEqual(report.write_data, [true, "data/x.txt"]);
        assert.deepEqual(report.write_tmp, [true, tmpFile], "its /tmp is writable");
        assert.deepEqual(report.write_root, [false, "OSError"]);
        assert.ok(report.pids.length <= 3, `its own processes only: ${report.pids}`);
        assert.equal(report.tmpdir, "/tmp");
        assert.deepEqual(report.loopback, [true, "loopback"]);
        assert.equal(await Deno.readTextFile(join(fn, "data", "x.txt")), "x");
        await assert.rejects(Deno.stat(join(fn, "x.txt")), Deno.errors.NotFound);
        for (const path of [tmpFile, rootFile]) {
          await assert.rejects(Deno.stat(path), Deno.errors.NotFound, `${path} is not on the host`);
        }
      } finally {
        await upstream.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Host processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(marker)) found.push(Number(entry.name));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // it ended meanwhile
    }
  }
  return found;
}

Deno.test({
  name:
    "startUpstream() sandboxed: stop() ends bwrap and every process in the sandbox, and the exit code passes through",
  ignore: !support.available,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "qfaas_sandbox_" }));
    try {
      await Deno.writeTextFile(join(dir, "index.py"), PROBE);
      const marker = `qfaas-marker-${crypto.randomUUID()}`;
      const port = freePort();
      const env = {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        PORT: String(port),
        ASK: "{}", // no request: it only has to run
      };
      const upstream = await startUpstream({
        fprocess: `python3 index.py ${marker}`,
        upstreamUrl: `http://127.0.0.1:${port}`,
        cwd: dir,
        env,
        sandbox: true,
      });
      assert.equal(upstream.sandboxed, true);
      assert.ok((await processesWith(marker)).length >= 2, "bwrap and python3 run");
      await upstream.stop();
      for (let i = 0; i < 50 && (await processesWith(marker)).length > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(await processesWith(marker), [], "nothing of the sandbox is left");

      // An upstream that exits: its own code, through bwrap.
      await Deno.writeTextFile(join(dir, "exit.py"), "import sys\nsys.exit(7)\n");
      await assert.rejects(
        startUpstream({
          fprocess: "python3 exit.py",
          upstreamUrl: `http://127.0.0.1:${freePort()}`,
          cwd: dir,
          env,
          sandbox: true,
        }),
        /exited with code 7 before it was ready/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "startUpstream() sandboxed: a Node upstream runs from /usr",
  ignore: !support.available || !(await new Deno.Command("node", { args: ["--version"] })
    .output().then((o) => o.success, () => false)),
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "qfaas_sandbox_" }));
    try {
      await Deno.writeTextFile(
        join(dir, "index.js"),
        `require("http").createServer((req, res) => res.end(require("os").userInfo().username + " " +
          require("os").tmpdir())).listen(Number(process.env.PORT), "127.0.0.1");\n`,
      );
      const port = freePort();
      const upstream = await startUpstream({
        fprocess: "node index.js",
        upstreamUrl: `http://127.0.0.1:${port}`,
        cwd: dir,
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", PORT: String(port) },
        sandbox: true,
      });
      try {
        assert.equal(upstream.sandboxed, true);
        const text = await (await upstream.handler(new Request("http://upstream/"))).text();
        assert.match(text, /^\S+ \/tmp$/, "os.userInfo() finds its user in /etc/passwd");
      } finally {
        await upstream.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A Python upstream that only answers: it may run unsandboxed. */
const HELLO = `
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "5")
        self.end_headers()
        self.wfile.write(b"hello")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

/**
 * Runs sandbox.ts and upstream.ts in a process whose PATH holds only `bin`
 * (plus what the caller puts there): its result, and what it wrote on stderr.
 */
async function withPath(bin: string, python: string, dir: string) {
  const script = `
    import { sandboxSupport, unsandboxedNotice } from ${
    JSON.stringify(import.meta.resolve("./sandbox.ts"))
  };
    import { startUpstream } from ${JSON.stringify(import.meta.resolve("./upstream.ts"))};
    const port = ${freePort()};
    const options = {
      fprocess: ${JSON.stringify(`${python} index.py`)},
      upstreamUrl: "http://127.0.0.1:" + port,
      cwd: ${JSON.stringify(dir)},
      env: { PORT: String(port) },
      name: "probe-1",
    };
    let strict;
    try {
      await startUpstream({ ...options, sandbox: true });
      strict = "started";
    } catch (error) {
      strict = error.name + ": " + error.message;
    }
    const upstream = await startUpstream(options);
    const status = (await upstream.handler(new Request("http://upstream/"))).status;
    await upstream.stop();
    console.log(JSON.stringify({
      support: await sandboxSupport(),
      notice: await unsandboxedNotice(["a", "b"]),
      one: await unsandboxedNotice(["a"]),
      none: await unsandboxedNotice([]),
      strict,
      sandboxed: upstream.sandboxed,
      status,
    }));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    env: { PATH: bin, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, stderr);
  return { result: JSON.parse(new TextDecoder().decode(output.stdout)), stderr };
}

Deno.test("startUpstream() where bwrap is missing or cannot create namespaces: runs unsandboxed with one warning line, or refuses when the sandbox is required", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "qfaas_sandbox_" }));
  try {
    await Deno.writeTextFile(join(dir, "index.py"), HELLO);
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    const found = await new Deno.Command("python3", {
      args: ["-c", "import sys; print(sys.executable)"],
    }).output();
    assert.ok(found.success, "python3 runs");
    const python = new TextDecoder().decode(found.stdout).trim();

    const missing = await withPath(bin, python, dir);
    assert.deepEqual(missing.result.support, {
      available: false,
      reason: "bwrap (bubblewrap) is not installed",
      hint: missing.result.support.hint,
    });
    assert.match(
      missing.result.notice,
      /^functions a, b run unsandboxed, .*not installed; to sandbox them, install bubblewrap/,
    );
    assert.match(missing.result.one, /^function a runs unsandboxed/);
    assert.equal(missing.result.none, null);
    assert.match(
      missing.result.strict,
      /^SandboxError: Cannot start the upstream .* sandboxed: bwrap \(bubblewrap\) is not installed/,
    );
    assert.equal(missing.result.sandboxed, false);
    assert.equal(missing.result.status, 200, "it still serves");
    const warnings = missing.stderr.split("\n").filter((line) => line.includes('"level":"warn"'));
    assert.equal(warnings.length, 1, missing.stderr);
    assert.deepEqual(Object.keys(JSON.parse(warnings[0])), ["level", "worker", "warning", "hint"]);
    assert.equal(JSON.parse(warnings[0]).worker, "probe-1");
    assert.match(
      JSON.parse(warnings[0]).warning,
      /runs unsandboxed: bwrap \(bubblewrap\) is not installed/,
    );

    // A bwrap that fails as it does in a container without user namespaces.
    await Deno.writeTextFile(
      join(bin, "bwrap"),
      "#!/bin/sh\necho 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    const failing = await withPath(bin, python, dir);
    assert.equal(failing.result.support.available, false);
    assert.equal(
      failing.result.support.reason,
      "bwrap cannot create its sandbox here (bwrap: Creating new namespace failed: Operation not permitted)",
    );
    assert.match(failing.result.notice, /user namespaces/);
    // Required without a probe: bwrap's own message, and the start fails.
    assert.match(failing.result.strict, /exited with code 1 before it was ready/);
    assert.match(failing.stderr, /Creating new namespace failed/);
    assert.equal(failing.result.sandboxed, false);
    assert.equal(failing.result.status, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
