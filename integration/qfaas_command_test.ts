// The `qfaas` command as installed on PATH (bin/qfaas.mjs, run by Node), from a
// directory outside the repository: `qfaas dev` serves the user's project,
// `qfaas invoke` calls it from another process, and SIGTERM to the command
// stops the server with its workers.
import assert from "node:assert/strict";
import { project, qfaasArgv, startDev } from "./_dev_process.ts";

Deno.test("qfaas (bin/qfaas.mjs): dev and invoke from a user's project directory, stopped by SIGTERM", async () => {
  await using files = await project({
    "hello/main.ts":
      "export default async (req: Request) => new Response(`hello ${await req.text()}`);\n",
  });
  // The pinned Deno that runs this test, so that no npx look-up is needed here.
  const env = { QFAAS_DENO: Deno.execPath() };
  await using dev = await startDev(files, { launcher: "command", env });
  const [program, args] = qfaasArgv("command", ["invoke", "hello", "-d", "world"]);
  const invoked = await new Deno.Command(program, {
    args: [...args, "--gateway", dev.http],
    cwd: files.dir,
    env: { ...files.env, ...env },
    stdin: "null",
  }).output();
  assert.equal(invoked.code, 0, new TextDecoder().decode(invoked.stderr));
  assert.equal(new TextDecoder().decode(invoked.stdout), "hello world");
  const workers = (await (await fetch(`${dev.http}/system/function/hello`)).json()).replicas;
  assert.ok(workers >= 1);

  assert.equal(await dev.stop(), 0, "SIGTERM stops qfaas dev through the command");
  await assert.rejects(fetch(`${dev.http}/healthz`), "the gateway is gone");
  // Its workers (their configuration lives in this project's cache) are gone too.
  const left = await new Deno.Command("pgrep", { args: ["-f", `${files.dir}/cache`] }).output();
  assert.equal(new TextDecoder().decode(left.stdout), "", "no process of this project is left");
});
