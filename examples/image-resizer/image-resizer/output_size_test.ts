import assert from "node:assert/strict";
import { outputSize } from "./output_size.ts";

const input = { width: 400, height: 200 };

Deno.test("outputSize() keeps the aspect ratio when one side is given", () => {
  assert.deepEqual(outputSize(input, 100, undefined, "cover"), { width: 100, height: 50 });
  assert.deepEqual(outputSize(input, undefined, 50, "fill"), { width: 100, height: 50 });
  assert.deepEqual(outputSize(input, undefined, undefined, "cover"), input);
});

Deno.test("outputSize() gives the box for cover, contain and fill", () => {
  for (const fit of ["cover", "contain", "fill"] as const) {
    assert.deepEqual(outputSize(input, 100, 100, fit), { width: 100, height: 100 });
  }
});

Deno.test("outputSize() fits inside or around the box for inside and outside", () => {
  assert.deepEqual(outputSize(input, 100, 100, "inside"), { width: 100, height: 50 });
  assert.deepEqual(outputSize(input, 100, 100, "outside"), { width: 200, height: 100 });
  assert.deepEqual(outputSize({ width: 1, height: 1000 }, 1000, 1, "outside"), {
    width: 1000,
    height: 1_000_000,
  });
});
