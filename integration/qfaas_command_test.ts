// The `qfaas` command as installed on PATH (bin/qfaas.mjs, run by Node), from a
// directory outside the repository: `qfaas dev` serves the user's project,
// `qfaas invoke` calls it from another process, and SIGTERM to the command
// stops the server with its workers.
import assert from "node:assert/strict";
import { join } from "node:path";

const QFAAS = new URL("../bin/qfaas.mjs", import.meta.url).pathname;

Deno.test("qfaas (bin/qfaas.mjs): dev and invoke from a user's project directory, stopped by SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qfaas_command_" });
  await Deno.mkdir(join(dir, "functions/hello"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "functions/hello/main.ts"),
    "export default async (req: Request) => new Response(`hello ${await req.text()}`);\n",
  );
  // The pinned Deno that runs this test, so that no npx look-up is needed here.
  const env = { XDG_CACHE_HOME: join(dir, "cache"), NO_COLOR: "1", QFAAS_DENO: Deno.execPath() };
  const qfaas = (args: string[], stderr: "piped" | "inherit" = "piped") =>
    new Deno.Command("node", {
      args: [QFAAS, ...args],
      cwd: dir,
      env,
      stdin: "null",
      stdout: "piped",
      stderr,
    });
  const dev = qfaas(
    ["dev", "./functions", "--port", "0", "--https-port", "0", "--no-watch"],
    "inherit",
  )
    .spawn();
  let stopped = false;
  try {
    let http: string | undefined;
    const lines: string[] = [];
    const reader = dev.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const reading = (async () => {
      let rest = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (rest + value).split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    for (let i = 0; i < 600 && !http; i++) {
      http = lines.find((l) => /^\s+HTTP\/1\.1\s+http/.test(l))?.trim().split(/\s+/)[1];
      if (!http) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(http, lines.join("\n"));
    const invoked = await qfaas(["invoke", "hello", "-d", "world", "--gateway", http]).output();
    assert.equal(invoked.code, 0, new TextDecoder().decode(invoked.stderr));
    assert.equal(new TextDecoder().decode(invoked.stdout), "hello world");
    const workers = (await (await fetch(`${http}/system/function/hello`)).json()).replicas;
    assert.ok(workers >= 1);

    dev.kill("SIGTERM");
    const status = await dev.status;
    stopped = true;
    await reading;
    assert.equal(status.code, 0);
    await assert.rejects(fetch(`${http}/healthz`), "the gateway is gone");
  } finally {
    if (!stopped) {
      dev.kill("SIGKILL");
      await dev.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
