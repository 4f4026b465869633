/**
 * Latency against round-trip time, like the paper's Figure 7.
 *
 * @module
 */
import { lineChartSvg } from "./_line_chart.ts";
import type { BenchRun } from "./samples.ts";
import { summaryRows } from "./summary.ts";

/**
 * An SVG line chart of `scenario`'s median latency against RTT, one line per
 * transport with its p10–p90 band.
 *
 * @throws {RangeError} if the run has no series of `scenario`.
 */
export async function rttSweepSvg(run: BenchRun, scenario: string): Promise<string> {
  const rows = summaryRows(run).filter((r) => r.scenario === scenario);
  if (rows.length === 0) {
    throw new RangeError(`Cannot draw an RTT sweep of ${scenario}: received no such series`);
  }
  return await lineChartSvg({
    rows,
    x: (r) => r.rttMs,
    xTitle: "Round-trip time (ms)",
    title: `${scenario}: latency against round-trip time`,
    subtitle: "median; band p10–p90",
  });
}
