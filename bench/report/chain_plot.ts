/**
 * Latency against function chain length, like the paper's Figure 8.
 *
 * @module
 */
import { lineChartSvg } from "./_line_chart.ts";
import type { BenchRun } from "./samples.ts";
import { summaryRows } from "./summary.ts";

/**
 * An SVG line chart of `scenario`'s median latency against chain length at
 * `rttMs`, one line per transport with its p10–p90 band.
 *
 * @throws {RangeError} if the run has no chain series of `scenario` at `rttMs`.
 */
export async function chainSvg(run: BenchRun, scenario: string, rttMs: number): Promise<string> {
  const rows = summaryRows(run).filter((r) =>
    r.scenario === scenario && r.rttMs === rttMs && r.chainLength !== undefined
  );
  if (rows.length === 0) {
    throw new RangeError(
      `Cannot draw a chain chart of ${scenario} at ${rttMs} ms: received no series with a chain length`,
    );
  }
  return await lineChartSvg({
    rows,
    x: (r) => r.chainLength ?? 0,
    xTitle: "Chain length (functions)",
    title: `${scenario}: latency against chain length`,
    subtitle: `RTT ${rttMs} ms; median; band p10–p90`,
  });
}
