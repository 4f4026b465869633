import assert from "node:assert/strict";
import { TRANSPORT_MODES } from "./samples.ts";
import { paperRun } from "./_fixture.ts";
import { assertWellFormedSvg } from "./_svg_assert.ts";
import { CHARTS_DIR, SAMPLES_FILE, writeReport } from "./report.ts";

Deno.test("writeReport() writes raw samples, a chart per scenario and Markdown linking them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = paperRun(5);
    const md = await writeReport(run, dir);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/${SAMPLES_FILE}`)), run);
    const charts = [];
    for await (const entry of Deno.readDir(`${dir}/${CHARTS_DIR}`)) charts.push(entry.name);
    assert.deepEqual(charts.sort(), [
      "box-get-noncontinuous-rtt0.5.svg",
      "chain-chain-rtt0.5.svg",
      "rtt-rtt-sweep.svg",
    ]);
    for (const chart of charts) {
      assertWellFormedSvg(await Deno.readTextFile(`${dir}/${CHARTS_DIR}/${chart}`));
      assert.ok(md.includes(`](${CHARTS_DIR}/${chart})`), `markdown links ${chart}`);
    }
    assert.deepEqual(md.match(/^### .*$/gm), [
      "### get-noncontinuous",
      "### rtt-sweep",
      "### chain",
    ]);
    assert.ok(md.includes(`[${SAMPLES_FILE}](${SAMPLES_FILE})`));
    // One table row per series: a box plot, 5 RTT-sweep and 6 chain series per transport.
    assert.equal(
      md.split("\n").filter((l) => l.startsWith("| ") && l.includes("`")).length,
      TRANSPORT_MODES.length * 12,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
