/**
 * Reports of `qfaas bench paper`, the reproduction of the SoCC'22 QFaaS
 * paper's §5: raw samples as JSON, Markdown tables of medians, tails and
 * ratios to the TLS and TCP baselines, SVG charts rendered by Vega-Lite, and
 * a progress bar for the run itself.
 *
 * @example
 * ```ts
 * import { writeReport } from "./mod.ts";
 * import type { BenchRun } from "./mod.ts";
 *
 * declare const run: BenchRun;
 * const markdown = await writeReport(run, "docs/results");
 * await Deno.writeTextFile("docs/results/paper.md", `# Paper benchmark\n\n${markdown}`);
 * ```
 *
 * @module
 */
export {
  type BenchRun,
  type H3Start,
  selectSeries,
  type Series,
  type SeriesFilter,
  TRANSPORT_MODES,
  type TransportMode,
} from "./samples.ts";
export { type Row, summaryRows } from "./summary.ts";
export { markdownTable, type MarkdownTableOptions } from "./table.ts";
export { TRANSPORT_COLORS } from "./palette.ts";
export { boxPlotSvg } from "./box_plot.ts";
export { rttSweepSvg } from "./rtt_sweep.ts";
export { chainSvg } from "./chain_plot.ts";
export { CHARTS_DIR, type ReportOptions, SAMPLES_FILE, writeReport } from "./report.ts";
export {
  formatDuration,
  ProgressBar,
  type ProgressBarOptions,
  type ProgressOutput,
} from "./progress.ts";
