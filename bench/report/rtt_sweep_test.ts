import assert from "node:assert/strict";
import { TRANSPORT_MODES } from "./samples.ts";
import { paperRun } from "./_fixture.ts";
import { assertWellFormedSvg, countMarks } from "./_svg_assert.ts";
import { rttSweepSvg } from "./rtt_sweep.ts";

Deno.test("rttSweepSvg() draws a line and a p10–p90 band per transport", async () => {
  const svg = await rttSweepSvg(paperRun(), "rtt-sweep");
  assertWellFormedSvg(svg);
  assert.equal(countMarks(svg, "line mark"), TRANSPORT_MODES.length);
  assert.equal(countMarks(svg, "area mark"), TRANSPORT_MODES.length);
  assert.equal(countMarks(svg, "point"), TRANSPORT_MODES.length * 5);
  assert.match(svg, />Round-trip time \(ms\)</);
  assert.match(svg, />Latency \(ms\)</);
  assert.match(svg, />rtt-sweep: latency against round-trip time</);
  assert.match(svg, />0\.5<\/text>/, "a tick at each measured RTT");
  assert.doesNotMatch(svg, />0\.0<\/text>/, "ticks without trailing zeros");
});

Deno.test("rttSweepSvg() renders the same input to the same bytes", async () => {
  assert.equal(
    await rttSweepSvg(paperRun(), "rtt-sweep"),
    await rttSweepSvg(paperRun(), "rtt-sweep"),
  );
});

Deno.test("rttSweepSvg() rejects a scenario the run lacks", async () => {
  await assert.rejects(() => rttSweepSvg(paperRun(), "missing"), RangeError);
});
