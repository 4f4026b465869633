// prepareFunction() with the real `deno cache`, on a functions directory in a temp folder.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PrepareError, prepareFunction } from "./prepare.ts";

async function functionsDir(files: Record<string, string>) {
  const root = await Deno.makeTempDir({ prefix: "qfaas_prepare_" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return { root, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("prepareFunction() writes the worker's config, and skips deno cache until a file changes", async () => {
  await using t = await functionsDir({
    "_shared/util.ts": "export const x = 1;\n",
    "a/main.ts":
      'import { x } from "../_shared/util.ts";\nexport default () => new Response(String(x));\n',
  });
  const fn = { name: "a", module: join(t.root, "a/main.ts"), dir: join(t.root, "a"), root: t.root };
  const out = join(t.root, ".prepared");
  const first = await prepareFunction(fn, out);
  assert.equal(first.cached, false);
  const config = JSON.parse(await Deno.readTextFile(first.config));
  assert.equal(config.nodeModulesDir, "none");
  assert.match(config.lock, /^[0-9a-f]{16}\.deno\.lock$/);
  assert.match(config.imports["qfaas/chain"], /^file:\/\/.*\/chain\/mod\.ts$/);
  assert.equal((await prepareFunction(fn, out)).cached, true, "nothing changed");
  await Deno.writeTextFile(join(t.root, "_shared/util.ts"), "export const x = 2;\n");
  assert.equal((await prepareFunction(fn, out)).cached, false, "shared code changed");
});

Deno.test("prepareFunction(): functions with the same import map share one configuration; their own map gets their own", async () => {
  await using t = await functionsDir({
    "a/main.ts": "export default () => new Response('a');\n",
    "b/main.ts": "export default () => new Response('b');\n",
    "c/deno.json": '{ "imports": { "x/": "./lib/" } }\n',
    "c/lib/y.ts": "export const y = 1;\n",
    "c/main.ts": 'import { y } from "x/y.ts";\nexport default () => new Response(String(y));\n',
  });
  const fn = (name: string) => ({
    name,
    module: join(t.root, name, "main.ts"),
    dir: join(t.root, name),
    root: t.root,
  });
  const out = join(t.root, ".prepared");
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((name) => prepareFunction(fn(name), out)),
  );
  assert.equal(a.config, b.config);
  assert.notEqual(a.config, c.config);
  assert.equal((await prepareFunction(fn("b"), out)).cached, true, "b has its own stamp");
});

Deno.test("prepareFunction() names the file and specifier it cannot resolve", async () => {
  await using t = await functionsDir({
    "b/main.ts": 'import "./missing.ts";\nexport default () => new Response("b");\n',
  });
  const fn = { name: "b", module: join(t.root, "b/main.ts"), dir: join(t.root, "b"), root: t.root };
  await assert.rejects(prepareFunction(fn, join(t.root, ".prepared")), (error: unknown) => {
    assert.ok(error instanceof PrepareError);
    assert.match(error.message, /function b cannot be prepared: .*missing\.ts/);
    assert.match(error.detail, /b\/main\.ts/);
    return true;
  });
});
