import assert from "node:assert/strict";
import { TRANSPORT_MODES } from "./samples.ts";
import { paperRun } from "./_fixture.ts";
import { assertWellFormedSvg, countMarks } from "./_svg_assert.ts";
import { boxPlotSvg } from "./box_plot.ts";
import { TRANSPORT_COLORS } from "./palette.ts";

Deno.test("boxPlotSvg() draws one box per transport with titled axes", async () => {
  const svg = await boxPlotSvg(paperRun(), "get-noncontinuous", 0.5);
  assertWellFormedSvg(svg);
  assert.equal(countMarks(svg, "box"), TRANSPORT_MODES.length);
  assert.match(svg, />Latency \(ms\)</);
  assert.match(svg, />Transport</);
  assert.match(svg, />get-noncontinuous: latency by transport</);
  for (const color of Object.values(TRANSPORT_COLORS)) assert.ok(svg.includes(color), color);
});

Deno.test("boxPlotSvg() renders the same input to the same bytes", async () => {
  const a = await boxPlotSvg(paperRun(), "get-noncontinuous", 0.5);
  const b = await boxPlotSvg(paperRun(), "get-noncontinuous", 0.5);
  assert.equal(a, b);
});

Deno.test("boxPlotSvg() keeps each transport's colour when others are absent", async () => {
  const run = paperRun();
  run.series = run.series.filter((s) =>
    s.scenario === "get-noncontinuous" && (s.transport === "h3-0rtt" || s.transport === "tls")
  );
  const svg = await boxPlotSvg(run, "get-noncontinuous", 0.5);
  assert.equal(countMarks(svg, "box"), 2);
  assert.ok(svg.includes(`fill="${TRANSPORT_COLORS["h3-0rtt"]}"`));
  assert.ok(svg.includes(`fill="${TRANSPORT_COLORS.tls}"`));
  assert.ok(!svg.includes(TRANSPORT_COLORS.tcp));
});

Deno.test("boxPlotSvg() picks one chain length where a scenario has several", async () => {
  const run = paperRun();
  await assert.rejects(() => boxPlotSvg(run, "chain", 0.5), RangeError);
  assert.equal(countMarks(await boxPlotSvg(run, "chain", 0.5, 3), "box"), TRANSPORT_MODES.length);
});

Deno.test("boxPlotSvg() rejects a scenario the run lacks", async () => {
  await assert.rejects(() => boxPlotSvg(paperRun(), "get-noncontinuous", 9), RangeError);
});
