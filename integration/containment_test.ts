// Containment, tried as a hostile function would: a Deno function served by
// `qfaas dev` (a separate process, a project outside the repository, no special
// configuration) tries each escape, and each is refused. Positive controls in
// the same function show the probes can tell "refused" from "allowed".
import assert from "node:assert/strict";
import { join } from "node:path";
import { type DevProcess, type Project, project, startDev } from "./_dev_process.ts";

/**
 * The hostile function: `?probe=<name>&arg=<value>` runs one attempt and
 * answers `{ outcome }`: "allowed: …" when it got through, else "refused: <error>".
 */
const HOSTILE = `import { gatewayClient } from "qfaas/chain";

const refused = (error: unknown) =>
  "refused: " + (error instanceof Error ? error.name + " " + error.message : String(error));
const ca = Deno.env.get("QFAAS_CA") ?? "";

async function attempt(probe: string, arg: string): Promise<string> {
  switch (probe) {
    case "dlopen":
      return "allowed: pid " + Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })
        .symbols.getpid();
    case "qfaas-ffi": {
      // qfaas's own modules that opened libc, imported from the worker's module cache
      // (loaded already, so no read permission is checked): any raw symbol or batch?
      const root = new URL("..", import.meta.resolve("qfaas/chain"));
      const found: string[] = [];
      for (const path of ["quic/_libc.ts", "quic/datagram_io.ts", "quic/socket_buffers.ts"]) {
        const module: Record<string, unknown> = await import(new URL(path, root).href);
        for (const [name, value] of Object.entries(module)) {
          const made = typeof value === "function" && /libc/i.test(name) ? (() => {
            try {
              return (value as (s?: unknown) => unknown)({ memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" } });
            } catch { return null; }
          })() : value;
          // An opener (lazyLibc) is tried too: what it opens is what counts.
          const symbols = typeof made === "function" ? (() => { try { return made(); } catch { return null; } })() : made;
          if (symbols && typeof symbols === "object" && ("memcpy" in symbols || "sendmmsg" in symbols)) found.push(path + " " + name);
        }
        const batches = module.BatchedDatagrams as { open?(local: Deno.Addr): unknown } | undefined;
        if (batches?.open) {
          const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
          try {
            if (batches.open(socket.addr)) found.push(path + " BatchedDatagrams.open");
          } finally {
            socket.close();
          }
        }
      }
      return found.length ? "allowed: " + found.join(", ") : "refused: no libc symbol or batch within reach";
    }
    case "ask-ffi":
      return "permission " + (await Deno.permissions.request({ name: "ffi" })).state;
    case "read":
      return "allowed: " + (await Deno.readTextFile(arg)).slice(0, 40);
    case "node-read": {
      const fs = await import("node:fs");
      return "allowed: " + fs.readFileSync(arg, "utf8").slice(0, 40);
    }
    case "run":
      return "allowed: " + new TextDecoder().decode(
        (await new Deno.Command("cat", { args: [arg] }).output()).stdout,
      ).slice(0, 40);
    case "node-exec": {
      const cp = await import("node:child_process");
      return "allowed: " + String(cp.execFileSync("cat", [arg])).slice(0, 40);
    }
    case "env": {
      const env = Deno.env.toObject();
      return JSON.stringify({
        names: Object.keys(env),
        keyValue: Object.values(env).some((v) => v.includes("PRIVATE KEY")),
      });
    }
    case "stdin": {
      // Below the stream the watchdog consumed: the descriptor itself.
      const buffer = new Uint8Array(64);
      const n = await Deno.stdin.read(buffer);
      return n ? "allowed: " + new TextDecoder().decode(buffer.subarray(0, n)) : "empty";
    }
    case "h3": {
      // Any client for a worker's port, without the gateway's identity.
      const client = gatewayClient({ url: "https://" + arg, ca, session: null });
      try {
        const response = await client.fetch("https://" + arg + "/healthz", { signal: AbortSignal.timeout(3000) });
        return "allowed: " + response.status + " " + (await response.text()).slice(0, 40);
      } finally {
        await client.close();
      }
    }
    case "tls": {
      const [hostname, port] = arg.split(":");
      const conn = await Deno.connectTls({ hostname, port: Number(port), caCerts: [ca], alpnProtocols: ["http/1.1"] });
      try {
        await conn.handshake();
        await conn.write(new TextEncoder().encode("GET /healthz HTTP/1.1\\r\\nhost: x\\r\\nconnection: close\\r\\n\\r\\n"));
        const buffer = new Uint8Array(64);
        const n = await conn.read(buffer);
        if (n === null) return "refused: closed without an answer";
        return "allowed: " + new TextDecoder().decode(buffer.subarray(0, n)).split("\\r\\n")[0];
      } finally {
        conn.close();
      }
    }
    case "internal": {
      // The gateway's internal listener, with no worker identity and no session.
      const url = new URL(Deno.env.get("QFAAS_GATEWAY_URL")!).origin;
      const client = gatewayClient({ url, ca, session: null });
      try {
        const response = await client.fetch(url + "/function/victim", { signal: AbortSignal.timeout(3000) });
        return "allowed: " + response.status;
      } finally {
        await client.close();
      }
    }
    case "chain": {
      // Positive control: the function's own path to the gateway works.
      const { invoke } = await import("qfaas/chain");
      return "allowed: " + (await (await invoke("victim")).text());
    }
    case "write":
      await Deno.writeTextFile(arg, "x");
      return "allowed: wrote";
    default:
      return "unknown probe " + probe;
  }
}

export default async (req: Request) => {
  const url = new URL(req.url);
  let outcome: string;
  try {
    outcome = await attempt(url.searchParams.get("probe") ?? "", url.searchParams.get("arg") ?? "");
  } catch (error) {
    outcome = refused(error);
  }
  return Response.json({ outcome });
};
`;

const FILES: Record<string, string> = {
  "_shared/util.ts": `export const shared = "shared code";\n`,
  "hostile/main.ts": HOSTILE,
  "hostile/qfaas.json": `{ "allow_write": ["out"] }\n`,
  "hostile/out/.keep": "",
  "hostile/own.txt": "my own file\n",
  "victim/main.ts": `export default () => new Response("victim answered");\n`,
  "victim/.env": "VICTIM_TOKEN=victim-dotenv-value\n",
  "victimtls/main.ts": `export default () => new Response("victimtls answered");\n`,
  "victimtls/qfaas.json": `{ "transport": "tls" }\n`,
  "other/main.ts": `export default () => new Response("other");\n`,
  "other/qfaas.json": `{ "secrets": ["api-token"] }\n`,
  ".secrets/api-token": "root-secret-value\n",
  "native/main.ts": `Deno.dlopen("libc.so.6", {});\nexport default () => new Response("never");\n`,
  "nativeok/main.ts":
    `const libc = Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } });
export default () => new Response("pid " + libc.symbols.getpid());\n`,
  "nativeok/qfaas.json": `{ "allow_ffi": true }\n`,
};

/**
 * The pid and listening port of the worker that answers `fn` (its name from the
 * response, its process by the name in its initial environment), found as root
 * from outside: UDP for h3, TCP for tls.
 */
async function workerOf(
  dev: DevProcess,
  fn: string,
  protocol: "udp" | "tcp",
): Promise<{ pid: number; port: number }> {
  const response = await fetch(`${dev.http}/function/${fn}`);
  await response.body?.cancel();
  const name = response.headers.get("x-qfaas-worker");
  assert.ok(name, `${fn} answered with no worker name`);
  const output = await new Deno.Command("ss", {
    args: [protocol === "udp" ? "-Hulpn" : "-Htlpn"],
    stdout: "piped",
  }).output();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    if (!pid || !port) continue;
    let environ: string;
    try {
      environ = await Deno.readTextFile(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (environ.split("\0").includes(`QFAAS_WORKER=${name}`)) return { pid, port };
  }
  throw new Error(`no ${protocol} listener of ${fn}'s worker ${name}`);
}

async function probe(dev: DevProcess, name: string, arg = ""): Promise<string> {
  const query = new URLSearchParams({ probe: name, arg });
  const response = await fetch(`${dev.http}/function/hostile?${query}`);
  assert.equal(response.status, 200, `probe ${name}`);
  return (await response.json()).outcome;
}

/** The project and a running `qfaas dev` (with `args`), shared by the steps of one test. */
async function hostileProject(
  args: string[],
): Promise<{ files: Project; dev: DevProcess } & AsyncDisposable> {
  const files = await project(FILES);
  const dev = await startDev(files, { args });
  return {
    files,
    dev,
    async [Symbol.asyncDispose]() {
      await dev[Symbol.asyncDispose]();
      await files[Symbol.asyncDispose]();
    },
  };
}

/** Free stem cells, as the gateway's metrics say. */
async function stemCells(dev: DevProcess): Promise<number> {
  const text = await (await fetch(`${dev.http}/metrics`)).text();
  return Number(/^qfaas_stem_cells (\d+)/m.exec(text)?.[1] ?? NaN);
}

Deno.test("containment: a hostile Deno function in a worker started for it is refused every escape; its own grant still works", async (t) => {
  await using bed = await hostileProject(["--stem-cells", "0"]);
  await hostileSuite(t, bed);
});

Deno.test("containment: the same, in workers specialized from stem cells", async (t) => {
  await using bed = await hostileProject(["--stem-cells", "2", "--no-prewarm"]);
  // Two classes: hostile (it may write) and the others; two loaded cells each.
  for (let i = 0; i < 600 && await stemCells(bed.dev) < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await stemCells(bed.dev), 4);
  const first = await fetch(`${bed.dev.http}/function/hostile?probe=none`);
  await first.body?.cancel();
  assert.match(first.headers.get("x-qfaas-worker") ?? "", /^stem-/, "a specialized stem cell");
  await hostileSuite(t, bed);
});

async function hostileSuite(t: Deno.TestContext, bed: { files: Project; dev: DevProcess }) {
  const { files, dev } = bed;
  const caKey = join(files.env.XDG_CACHE_HOME, "qfaas", "ca", "ca-key.pem");
  assert.ok((await Deno.stat(caKey)).isFile, "the dev CA key exists where the probes look");
  const refused = (outcome: string) => assert.match(outcome, /^refused: /, outcome);

  await t.step(
    "positive controls: its own files, shared code, allowed writes, chain calls",
    async () => {
      assert.match(
        await probe(dev, "read", join(files.functions, "hostile", "own.txt")),
        /^allowed: my own file/,
      );
      assert.match(
        await probe(dev, "read", join(files.functions, "_shared", "util.ts")),
        /^allowed: export/,
      );
      assert.equal(
        await probe(dev, "write", join(files.functions, "hostile", "out", "x")),
        "allowed: wrote",
      );
      assert.equal(await probe(dev, "chain"), "allowed: victim answered");
    },
  );

  await t.step("no FFI: dlopen of libc, and asking for it again", async () => {
    refused(await probe(dev, "dlopen"));
    // Nor the libc that qfaas's datagram I/O opened before the revoke, through its modules.
    refused(await probe(dev, "qfaas-ffi"));
    assert.equal(await probe(dev, "ask-ffi"), "permission denied");
  });

  await t.step("native code needs allow_ffi, and the error says so", async () => {
    const denied = await fetch(`${dev.http}/function/native`);
    assert.equal(denied.status, 503);
    assert.match((await denied.json()).error, /Requires ffi access.*set "allow_ffi": true/);
    const allowed = await fetch(`${dev.http}/function/nativeok`);
    assert.match(await allowed.text(), /^pid \d+$/);
  });

  await t.step("the dev CA key, through Deno, node:fs and a subprocess", async () => {
    refused(await probe(dev, "read", caKey));
    refused(await probe(dev, "node-read", caKey));
    refused(await probe(dev, "run", caKey));
    refused(await probe(dev, "node-exec", caKey));
  });

  await t.step("writing outside allow_write", async () => {
    refused(await probe(dev, "write", join(files.functions, "victim", "main.ts")));
  });

  await t.step("other functions' .env and the functions directory's .secrets", async () => {
    refused(await probe(dev, "read", join(files.functions, "victim", ".env")));
    refused(await probe(dev, "read", join(files.functions, ".secrets", "api-token")));
  });

  await t.step("another worker's /proc/<pid>/environ, and its own", async () => {
    const victim = await workerOf(dev, "victim", "udp");
    refused(await probe(dev, "read", `/proc/${victim.pid}/environ`));
    refused(await probe(dev, "read", "/proc/self/environ"));
  });

  await t.step("no key material in its environment or on its stdin", async () => {
    const { names, keyValue } = JSON.parse(await probe(dev, "env"));
    for (const name of names as string[]) {
      assert.doesNotMatch(name, /TLS_KEY|TICKET|TLS_CERT|SESSION|SECRET/, name);
    }
    assert.equal(keyValue, false, "no PRIVATE KEY value");
    assert.equal(await probe(dev, "stdin"), "empty");
  });

  await t.step("a direct connection to another worker, over h3 and tls", async () => {
    // Controls: the same clients get through to the gateway's public listeners.
    assert.match(await probe(dev, "h3", `localhost:${dev.httpsPort}`), /^allowed: 200 /);
    assert.match(await probe(dev, "tls", `127.0.0.1:${dev.httpsPort}`), /^allowed: HTTP\/1.1 200/);
    // Worker certificates name localhost and 127.0.0.1: only client authentication stops these.
    const h3 = await workerOf(dev, "victim", "udp");
    refused(await probe(dev, "h3", `localhost:${h3.port}`));
    const tls = await workerOf(dev, "victimtls", "tcp");
    refused(await probe(dev, "tls", `127.0.0.1:${tls.port}`));
  });

  await t.step("the gateway's internal listener without a worker identity", async () => {
    refused(await probe(dev, "internal"));
  });
}
