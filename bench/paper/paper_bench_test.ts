// `qfaas bench paper --quick` in miniature, for real: namespaces, the delay
// line, the gateway and end-user processes, workers on their own host. It
// asserts only that the run happens, checks its delay and writes its results.
import assert from "node:assert/strict";
import { listNamespaces } from "../testbed/mod.ts";
import { NAMESPACE_PREFIX, PRESETS, runPaperBench } from "./mod.ts";

Deno.test("paper bench: a tiny run over three namespaces checks its delay, measures every scenario and writes results", async () => {
  assert.equal(
    Deno.uid(),
    0,
    "the paper bench needs root (network namespaces): run the tests as root",
  );
  const out = await Deno.makeTempDir({ prefix: "qfaas-paper-test-" });
  try {
    const report = await runPaperBench({
      ...PRESETS.quick,
      samples: 2,
      coldSamples: 1,
      sweepMs: [0, 1],
      chainLengths: [1, 2],
      out,
      command: "paper_bench_test",
    });
    assert.ok(report.rttChecks.length > 0, "the delay was measured");
    for (const check of report.rttChecks) {
      const allowed = check.configuredMs === 0 ? 0.3 : 0.1 * check.configuredMs;
      assert.ok(
        Math.abs(check.measuredMs - check.configuredMs) <= allowed,
        `RTT ${check.configuredMs} ms measured ${check.measuredMs} ms`,
      );
    }
    const scenarios = new Set(report.run.series.map((s) => s.scenario));
    for (
      const name of [
        "get-noncontinuous",
        "post-noncontinuous",
        "continuous",
        "1mb",
        "chain",
        "cold-start",
        "cold-start-after-spawn",
      ]
    ) assert.ok(scenarios.has(name), `measured ${name}`);
    for (const series of report.run.series) {
      assert.ok(series.samples.length > 0, `${series.scenario} ${series.transport} has samples`);
      assert.ok(series.samples.every((ms) => ms > 0 && Number.isFinite(ms)));
    }
    const written = JSON.parse(await Deno.readTextFile(`${out}/paper-bench.json`));
    assert.equal(written.series.length, report.run.series.length);
    const charts = [...Deno.readDirSync(`${out}/paper`)].map((e) => e.name);
    assert.ok(charts.some((name) => name.endsWith(".svg")), "charts were rendered");
    assert.match(report.markdown, /get-noncontinuous/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  assert.deepEqual(await listNamespaces(NAMESPACE_PREFIX), [], "every namespace it made is gone");
});
