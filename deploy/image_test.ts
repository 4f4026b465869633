import assert from "node:assert/strict";
import { imageDenoJson } from "./image.ts";

const ROOT_CONFIG = new URL("../deno.json", import.meta.url);

Deno.test("imageDenoJson() drops the workspace the image leaves out and keeps the rest", async () => {
  const config = JSON.parse(await Deno.readTextFile(ROOT_CONFIG));
  assert.ok(Array.isArray(config.workspace) && config.workspace.includes("./bench"));
  const image = JSON.parse(imageDenoJson(JSON.stringify(config)));
  assert.equal(image.workspace, undefined);
  const { workspace: _members, ...rest } = config;
  assert.deepEqual(image, rest);
  for (const name of ["vega", "vega-lite", "sharp"]) assert.equal(image.imports[name], undefined);
});
