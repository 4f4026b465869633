/**
 * Markdown tables of summarised rows: one table per scenario, rows grouped
 * by RTT and chain length, transports in a fixed order.
 *
 * @module
 */
import type { Row } from "./summary.ts";

/** How `markdownTable()` lays tables out. */
export interface MarkdownTableOptions {
  /** Heading level of each scenario's heading (1–6); 3 by default. */
  headingLevel?: number;
  /** Fixed decimals for latencies; by default 3 below 1 ms, 2 below 100 ms, else 1. */
  decimals?: number;
}

/** Formats a latency in ms with precision that suits its size. */
function formatMs(ms: number, decimals: number | undefined): string {
  if (decimals !== undefined) return ms.toFixed(decimals);
  return ms.toFixed(Math.abs(ms) < 1 ? 3 : Math.abs(ms) < 100 ? 2 : 1);
}

/** Formats a ratio of medians, or a dash without a baseline. */
function formatRatio(ratio: number | null): string {
  return ratio === null ? "—" : ratio.toFixed(2);
}

/**
 * Markdown tables of `rows` (from `summaryRows()`), one per scenario under its
 * own heading, in row order; a "chain" column appears only where a scenario
 * has chain lengths. Ratios are of medians, "—" where the baseline is absent.
 */
export function markdownTable(rows: readonly Row[], options: MarkdownTableOptions = {}): string {
  const level = options.headingLevel ?? 3;
  if (!Number.isInteger(level) || level < 1 || level > 6) {
    throw new RangeError(`Cannot use heading level ${level}: received a value outside 1–6`);
  }
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  return scenarios.map((scenario) => {
    const group = rows.filter((r) => r.scenario === scenario);
    const chained = group.some((r) => r.chainLength !== undefined);
    const header = [
      "RTT (ms)",
      ...(chained ? ["chain"] : []),
      "transport",
      "n",
      "median (ms)",
      "p10 (ms)",
      "p90 (ms)",
      "× tls",
      "× tls12",
      "× tcp",
    ];
    const align = header.map((_, i) => (i === (chained ? 2 : 1) ? ":--" : "--:"));
    const lines = [
      header,
      align,
      ...group.map((r) => [
        String(r.rttMs),
        ...(chained ? [r.chainLength === undefined ? "—" : String(r.chainLength)] : []),
        `\`${r.transport}\``,
        String(r.n),
        formatMs(r.median, options.decimals),
        formatMs(r.p10, options.decimals),
        formatMs(r.p90, options.decimals),
        formatRatio(r.ratioToTls),
        formatRatio(r.ratioToTls12),
        formatRatio(r.ratioToTcp),
      ]),
    ].map((cells) => `| ${cells.join(" | ")} |`);
    return `${"#".repeat(level)} ${scenario}\n\n${lines.join("\n")}\n`;
  }).join("\n");
}
