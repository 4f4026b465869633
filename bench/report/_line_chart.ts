/**
 * The shared shape of the paper's Figures 7 and 8: median latency against a
 * numeric condition, one line per transport, with a p10–p90 band.
 *
 * @module
 */
import { renderSvg } from "./_render.ts";
import { orderTransports, transportColor } from "./palette.ts";
import type { Row } from "./summary.ts";

/** What a line chart plots. */
export interface LineChart {
  /** Summaries to plot, all of one scenario. */
  rows: readonly Row[];
  /** The x value of a row. */
  x: (row: Row) => number;
  /** The x axis title, with its unit. */
  xTitle: string;
  /** Chart title. */
  title: string;
  /** Chart subtitle. */
  subtitle: string;
}

/** Renders `chart` to SVG: ticks at each measured x, points on each median. */
export async function lineChartSvg(chart: LineChart): Promise<string> {
  const transports = orderTransports(chart.rows.map((r) => r.transport));
  const values = chart.rows.map((r) => ({
    transport: r.transport,
    x: chart.x(r),
    median: r.median,
    p10: r.p10,
    p90: r.p90,
  }));
  const ticks = [...new Set(values.map((v) => v.x))].sort((a, b) => a - b);
  const color = transportColor(transports, true);
  return await renderSvg({
    title: { text: chart.title, subtitle: chart.subtitle },
    width: 420,
    height: 300,
    data: { values },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: chart.xTitle,
        axis: { values: ticks, format: "~g" },
      },
    },
    layer: [
      {
        mark: { type: "area", opacity: 0.15 },
        encoding: {
          y: { field: "p10", type: "quantitative", title: "Latency (ms)" },
          y2: { field: "p90" },
          color,
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          y: { field: "median", type: "quantitative", title: "Latency (ms)" },
          color,
        },
      },
    ],
  });
}
