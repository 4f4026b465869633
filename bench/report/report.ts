/**
 * Writes a paper run to disk — raw samples as JSON, one SVG chart per
 * scenario — and returns Markdown that embeds the tables and charts.
 *
 * @module
 */
import { boxPlotSvg } from "./box_plot.ts";
import { chainSvg } from "./chain_plot.ts";
import { rttSweepSvg } from "./rtt_sweep.ts";
import type { BenchRun } from "./samples.ts";
import { summaryRows } from "./summary.ts";
import { markdownTable, type MarkdownTableOptions } from "./table.ts";

/** The raw samples' file name inside the report folder. */
export const SAMPLES_FILE = "paper-bench.json";
/** The charts' folder name inside the report folder. */
export const CHARTS_DIR = "paper";

/** Table options, and the file names to write (defaults: `paper-bench.json`, `paper/`). */
export interface ReportOptions extends MarkdownTableOptions {
  /** The raw samples' file name. */
  samplesFile?: string;
  /** The charts' folder name. */
  chartsDir?: string;
}

/** A file-name-safe form of a scenario name. */
function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-+|-+$/g, "") || "scenario";
}

/**
 * Writes `run` into `dir` as `paper-bench.json` and `paper/*.svg`, and returns
 * Markdown with a table and chart links per scenario, paths relative to `dir`.
 * A scenario with chain lengths gets one chain chart per RTT; one measured at
 * several RTTs gets an RTT sweep; any other gets a box plot.
 */
export async function writeReport(
  run: BenchRun,
  dir: string,
  options: ReportOptions = {},
): Promise<string> {
  const samplesFile = options.samplesFile ?? SAMPLES_FILE;
  const chartsDir = options.chartsDir ?? CHARTS_DIR;
  await Deno.mkdir(`${dir}/${chartsDir}`, { recursive: true });
  await Deno.writeTextFile(`${dir}/${samplesFile}`, `${JSON.stringify(run, null, 2)}\n`);
  const rows = summaryRows(run);
  const sections = [
    `Command: \`${run.command}\`, started ${run.startedAt}. Raw samples: [${samplesFile}](${samplesFile}).\n`,
  ];
  for (const scenario of new Set(rows.map((r) => r.scenario))) {
    const scenarioRows = rows.filter((r) => r.scenario === scenario);
    const rtts = [...new Set(scenarioRows.map((r) => r.rttMs))];
    const charts: { file: string; alt: string; render: () => Promise<string> }[] = [];
    if (scenarioRows.some((r) => r.chainLength !== undefined)) {
      for (const rtt of rtts) {
        charts.push({
          file: `chain-${slug(scenario)}-rtt${rtt}.svg`,
          alt: `${scenario}: latency against chain length at RTT ${rtt} ms`,
          render: () => chainSvg(run, scenario, rtt),
        });
      }
    } else if (rtts.length > 1) {
      charts.push({
        file: `rtt-${slug(scenario)}.svg`,
        alt: `${scenario}: latency against round-trip time`,
        render: () => rttSweepSvg(run, scenario),
      });
    } else {
      charts.push({
        file: `box-${slug(scenario)}-rtt${rtts[0]}.svg`,
        alt: `${scenario}: latency by transport at RTT ${rtts[0]} ms`,
        render: () => boxPlotSvg(run, scenario, rtts[0]),
      });
    }
    const links: string[] = [];
    for (const chart of charts) {
      await Deno.writeTextFile(`${dir}/${chartsDir}/${chart.file}`, await chart.render());
      links.push(`![${chart.alt}](${chartsDir}/${chart.file})`);
    }
    sections.push(`${markdownTable(scenarioRows, options)}\n${links.join("\n\n")}\n`);
  }
  return sections.join("\n");
}
