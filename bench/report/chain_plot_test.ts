import assert from "node:assert/strict";
import { TRANSPORT_MODES } from "./samples.ts";
import { paperRun } from "./_fixture.ts";
import { assertWellFormedSvg, countMarks } from "./_svg_assert.ts";
import { chainSvg } from "./chain_plot.ts";

Deno.test("chainSvg() draws a line per transport over chain lengths 1 to 6", async () => {
  const svg = await chainSvg(paperRun(), "chain", 0.5);
  assertWellFormedSvg(svg);
  assert.equal(countMarks(svg, "line mark"), TRANSPORT_MODES.length);
  assert.equal(countMarks(svg, "point"), TRANSPORT_MODES.length * 6);
  assert.match(svg, />Chain length \(functions\)</);
  assert.match(svg, />Latency \(ms\)</);
  assert.match(svg, />chain: latency against chain length</);
});

Deno.test("chainSvg() renders the same input to the same bytes", async () => {
  assert.equal(await chainSvg(paperRun(), "chain", 0.5), await chainSvg(paperRun(), "chain", 0.5));
});

Deno.test("chainSvg() rejects a scenario without chain lengths", async () => {
  await assert.rejects(() => chainSvg(paperRun(), "get-noncontinuous", 0.5), RangeError);
});
