import assert from "node:assert/strict";
import { paperRun } from "./_fixture.ts";
import { selectSeries, TRANSPORT_MODES } from "./samples.ts";

Deno.test("selectSeries() filters by scenario, RTT and chain length", () => {
  const run = paperRun(1);
  assert.equal(selectSeries(run, { scenario: "rtt-sweep" }).length, TRANSPORT_MODES.length * 5);
  assert.deepEqual(
    selectSeries(run, { scenario: "rtt-sweep", rttMs: 2 }).map((s) => s.transport),
    TRANSPORT_MODES,
  );
  assert.deepEqual(
    selectSeries(run, { scenario: "chain", rttMs: 0.5, chainLength: 3 }).map((s) => s.chainLength),
    TRANSPORT_MODES.map(() => 3),
  );
  assert.deepEqual(selectSeries(run, { scenario: "chain", rttMs: 1 }), []);
});
