import assert from "node:assert/strict";
import { quantile, summarize } from "./stats.ts";

Deno.test("quantile() interpolates between neighbours", () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([5], 0.99), 5);
  assert.equal(quantile([0, 10], 0.9), 9);
});

Deno.test("quantile() rejects an empty sample set", () => {
  assert.throws(() => quantile([], 0.5), RangeError);
});

Deno.test("summarize() does not depend on sample order", () => {
  const s = summarize([9, 1, 5, 3, 7]);
  assert.deepEqual(s, { n: 5, median: 5, p10: 1.8, p90: 8.2, p99: 8.92, min: 1, max: 9, mean: 5 });
});
