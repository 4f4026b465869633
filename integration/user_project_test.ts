// A user's own project: a functions directory outside qfaas's repository,
// served by `qfaas dev` run as a separate process. Shared code, a root import
// map, a per-function deno.json with an npm package, package.json
// dependencies; a function that cannot start; `min` restored after kill -9.
import assert from "node:assert/strict";
import { project, startDev } from "./_dev_process.ts";

const FILES: Record<string, string> = {
  "_shared/util.ts": `export const shout = (s: string) => s.toUpperCase() + "!";\n`,
  "greet/main.ts": `import { shout } from "../_shared/util.ts";
export default (req: Request) =>
  new Response(shout(new URL(req.url).searchParams.get("name") ?? "world"));\n`,
  "greet/.env": "GREET_SECRET=only-greet\n",
  "zod-json/deno.json": `{ "imports": { "zod": "npm:zod@3.23.8" } }\n`,
  "zod-json/main.ts": `import { z } from "zod";
export default () => new Response(z.string().parse("zod via deno.json"));\n`,
  "zod-pkg/package.json": `{ "dependencies": { "zod": "3.23.8" } }\n`,
  "zod-pkg/main.ts": `import { z } from "zod";
export default () => new Response(z.literal("pkg").parse("pkg") + " via package.json");\n`,
  "import_map.json": `{ "imports": { "@/": "./_shared/" } }\n`,
  "mapped/main.ts": `import { shout } from "@/util.ts";
import { invoke } from "qfaas/chain";
export default async () => {
  let leaked = "no";
  try { leaked = await Deno.readTextFile(new URL("../greet/.env", import.meta.url)); } catch { /* denied */ }
  const greeting = await (await invoke("greet?name=chain")).text();
  return new Response(shout("mapped") + " " + greeting + " leaked=" + leaked);
};\n`,
  "broken/main.ts":
    `throw new Error("no database configured");\nexport default () => new Response("never");\n`,
  "typo/main.ts":
    `import { z } from "zod";\nexport default () => new Response(z.string().parse("x"));\n`,
  "kept/qfaas.json": `{ "min": 2 }\n`,
  "kept/main.ts": `export default () => new Response(String(Deno.pid));\n`,
};

Deno.test("qfaas dev serves a project outside the repository: shared code, import maps, npm and package.json", async () => {
  await using files = await project(FILES);
  await using dev = await startDev(files);
  const { http, lines } = dev;
  const call = async (path: string) => {
    const response = await fetch(`${http}/function/${path}`);
    return { status: response.status, text: await response.text() };
  };
  assert.deepEqual(await call("greet?name=ada"), { status: 200, text: "ADA!" });
  assert.deepEqual(await call("zod-json"), { status: 200, text: "zod via deno.json" });
  assert.deepEqual(await call("zod-pkg"), { status: 200, text: "pkg via package.json" });
  assert.deepEqual(await call("mapped"), { status: 200, text: "MAPPED! CHAIN! leaked=no" });

  // A function that cannot start: 503 naming it, at most 4 spawns for 10 requests.
  for (let i = 0; i < 10; i++) {
    const { status, text } = await call("broken");
    assert.equal(status, 503);
    const body = JSON.parse(text);
    assert.equal(body.function, "broken");
    assert.match(body.error, /cannot start: .*no database configured/);
  }
  const attempts = lines.filter((l) =>
    /^\[broken\] ! (function broken cannot start|still cannot start)/.test(l)
  );
  assert.ok(attempts.length >= 1 && attempts.length <= 4, attempts.join("\n"));
  assert.equal(
    lines.filter((l) => /^\[broken\] ! function broken cannot start/.test(l)).length,
    1,
    "the whole error is shown once",
  );
  assert.deepEqual(
    await call("greet"),
    { status: 200, text: "WORLD!" },
    "the others are unaffected",
  );

  // A function whose modules cannot be resolved: 503 naming the specifier and the file.
  const typo = await call("typo");
  assert.equal(typo.status, 503);
  assert.match(JSON.parse(typo.text).error, /cannot be prepared: .*"zod".*typo\/main\.ts/);

  // min: 2 started at start-up, and restored after kill -9.
  const workers = async () => {
    const list = await (await fetch(`${http}/system/function/kept`)).json();
    return list.replicas as number;
  };
  for (let i = 0; i < 200 && await workers() < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await workers(), 2);
  const pid = Number((await call("kept")).text);
  Deno.kill(pid, "SIGKILL");
  for (let i = 0; i < 100 && await workers() === 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 200 && await workers() < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await workers(), 2, "restored to min");
  assert.notEqual(Number((await call("kept")).text), pid);
});
