/**
 * Box plots of one scenario at one RTT, one box per transport, like the
 * paper's Figure 5: whiskers at the minimum and maximum, box at the quartiles.
 *
 * @module
 */
import { renderSvg } from "./_render.ts";
import { orderTransports, transportColor } from "./palette.ts";
import { type BenchRun, selectSeries } from "./samples.ts";

/**
 * An SVG box plot of `scenario` at `rttMs` (and `chainLength`, where the
 * scenario has several), one box per transport.
 *
 * @throws {RangeError} if no series match, or a transport has several series.
 */
export async function boxPlotSvg(
  run: BenchRun,
  scenario: string,
  rttMs: number,
  chainLength?: number,
): Promise<string> {
  const series = selectSeries(run, { scenario, rttMs, chainLength });
  const where = `${scenario} at ${rttMs} ms${
    chainLength === undefined ? "" : `, chain ${chainLength}`
  }`;
  if (series.length === 0) {
    throw new RangeError(`Cannot draw a box plot of ${where}: received no such series`);
  }
  const transports = orderTransports(series.map((s) => s.transport));
  if (transports.length !== series.length) {
    throw new RangeError(
      `Cannot draw a box plot of ${where}: received several series per transport; pass chainLength`,
    );
  }
  return await renderSvg({
    title: { text: `${scenario}: latency by transport`, subtitle: `RTT ${rttMs} ms` },
    width: { step: 64 },
    height: 300,
    data: {
      values: series.flatMap((s) => s.samples.map((ms) => ({ transport: s.transport, ms }))),
    },
    mark: { type: "boxplot", extent: "min-max", size: 32 },
    encoding: {
      x: {
        field: "transport",
        type: "nominal",
        title: "Transport",
        sort: transports,
        axis: { labelAngle: -30 },
      },
      y: { field: "ms", type: "quantitative", title: "Latency (ms)" },
      color: transportColor(transports, false),
    },
  });
}
