/**
 * Per-series summaries of a paper run: median, p10, p90 and the ratio of
 * medians to the `tls`, `tls12` and `tcp` baselines measured under the same
 * conditions.
 *
 * @module
 */
import { summarize } from "../stats.ts";
import { type BenchRun, type Series, TRANSPORT_MODES, type TransportMode } from "./samples.ts";

/** The summary of one series, in ms; what tables and line charts show. */
export interface Row {
  /** Scenario name. */
  scenario: string;
  /** The transport mode measured. */
  transport: TransportMode;
  /** Round-trip time, ms. */
  rttMs: number;
  /** Chain length, for chain scenarios. */
  chainLength?: number;
  /** Number of samples. */
  n: number;
  /** 50th percentile, ms. */
  median: number;
  /** 10th percentile, ms. */
  p10: number;
  /** 90th percentile, ms. */
  p90: number;
  /** This median over the `tls` median under the same conditions; null without that baseline. */
  ratioToTls: number | null;
  /** This median over the `tls12` median under the same conditions; null without that baseline. */
  ratioToTls12: number | null;
  /** This median over the `tcp` median under the same conditions; null without that baseline. */
  ratioToTcp: number | null;
}

/** The key of a series' conditions: scenario, RTT and chain length. */
function conditions(s: Pick<Series, "scenario" | "rttMs" | "chainLength">): string {
  return JSON.stringify([s.scenario, s.rttMs, s.chainLength ?? null]);
}

/**
 * The rows of `run`: every series summarised (`summarize` of bench/stats.ts)
 * and compared with its baselines, sorted by scenario (in first-seen order),
 * RTT, chain length and transport mode, so tables read the same however the
 * run interleaved its measurements.
 *
 * @throws {RangeError} if a series has no samples.
 */
export function summaryRows(run: BenchRun): Row[] {
  const scenarioOrder = [...new Set(run.series.map((s) => s.scenario))];
  const rows = run.series.map((s): Row => {
    if (s.samples.length === 0) {
      throw new RangeError(
        `Cannot summarize series ${s.scenario}/${s.transport} at ${s.rttMs} ms: received no samples`,
      );
    }
    const { n, median, p10, p90 } = summarize(s.samples);
    return {
      scenario: s.scenario,
      transport: s.transport,
      rttMs: s.rttMs,
      ...(s.chainLength === undefined ? {} : { chainLength: s.chainLength }),
      n,
      median,
      p10,
      p90,
      ratioToTls: null,
      ratioToTls12: null,
      ratioToTcp: null,
    };
  });
  const medianOf = (key: string, transport: TransportMode) =>
    rows.find((r) => r.transport === transport && conditions(r) === key)?.median;
  const ratio = (median: number, baseline: number | undefined) =>
    baseline === undefined || baseline === 0 ? null : median / baseline;
  for (const row of rows) {
    const key = conditions(row);
    row.ratioToTls = ratio(row.median, medianOf(key, "tls"));
    row.ratioToTls12 = ratio(row.median, medianOf(key, "tls12"));
    row.ratioToTcp = ratio(row.median, medianOf(key, "tcp"));
  }
  return rows.sort((a, b) =>
    scenarioOrder.indexOf(a.scenario) - scenarioOrder.indexOf(b.scenario) ||
    a.rttMs - b.rttMs ||
    (a.chainLength ?? 0) - (b.chainLength ?? 0) ||
    TRANSPORT_MODES.indexOf(a.transport) - TRANSPORT_MODES.indexOf(b.transport)
  );
}
