import assert from "node:assert/strict";
import { stripJsonc, workerDenoConfig } from "./worker_config.ts";

const qfaas = {
  dir: "/opt/qfaas",
  imports: { hono: "npm:hono@4.13.19", "qfaas/chain": "./chain/mod.ts" },
};

Deno.test("workerDenoConfig() merges the root's and the function's maps, the function's winning", () => {
  const config = workerDenoConfig({
    qfaas,
    chainModule: "/opt/qfaas/chain/mod.ts",
    lock: "f.deno.lock",
    files: [
      {
        path: "/p/functions/deno.json",
        kind: "deno",
        content: { imports: { "@/": "./_shared/", zod: "npm:zod@3.22.0" } },
      },
      {
        path: "/p/functions/f/deno.jsonc",
        kind: "deno",
        content: { imports: { zod: "npm:zod@3.23.8" }, compilerOptions: { jsx: "react-jsx" } },
      },
    ],
  });
  assert.deepEqual(config, {
    lock: "f.deno.lock",
    nodeModulesDir: "none",
    imports: {
      "@/": "file:///p/functions/_shared/",
      zod: "npm:zod@3.23.8",
      "qfaas/chain": "file:///opt/qfaas/chain/mod.ts",
    },
    scopes: {
      "file:///opt/qfaas/": {
        hono: "npm:hono@4.13.19",
        "qfaas/chain": "file:///opt/qfaas/chain/mod.ts",
      },
    },
    compilerOptions: { jsx: "react-jsx" },
  });
});

Deno.test("workerDenoConfig() maps package.json dependencies as Deno resolves them, skipping local ones", () => {
  const config = workerDenoConfig({
    qfaas,
    chainModule: "/opt/qfaas/chain/mod.ts",
    lock: "f.deno.lock",
    files: [{
      path: "/p/functions/package.json",
      kind: "package",
      content: {
        dependencies: { zod: "^3.23.8", alias: "npm:preact@10.0.0", local: "file:../lib" },
        devDependencies: { chalk: "5.3.0" },
      },
    }],
  });
  assert.equal(config.imports.zod, "npm:zod@^3.23.8");
  assert.equal(config.imports["zod/"], "npm:/zod@^3.23.8/");
  assert.equal(config.imports.alias, "npm:preact@10.0.0");
  assert.equal(config.imports.chalk, "npm:chalk@5.3.0");
  assert.equal(config.imports.local, undefined);
});

Deno.test("workerDenoConfig() keeps a user's own qfaas/chain mapping and scopes, made absolute", () => {
  const config = workerDenoConfig({
    qfaas,
    chainModule: "/opt/qfaas/chain/mod.ts",
    lock: "f.deno.lock",
    files: [{
      path: "/p/functions/import_map.json",
      kind: "import-map",
      content: {
        imports: { "qfaas/chain": "./vendor/chain.ts" },
        scopes: { "./legacy/": { zod: "npm:zod@3.0.0" } },
      },
    }],
  });
  assert.equal(config.imports["qfaas/chain"], "file:///p/functions/vendor/chain.ts");
  assert.deepEqual(config.scopes["file:///p/functions/legacy/"], { zod: "npm:zod@3.0.0" });
});

Deno.test("stripJsonc() removes comments and trailing commas but not their look-alikes in strings", () => {
  const text = '{\n  // a comment\n  "url": "https://x//y", /* block */\n  "a": [1, 2,],\n}\n';
  assert.deepEqual(JSON.parse(stripJsonc(text)), { url: "https://x//y", a: [1, 2] });
});
