/**
 * The shared machinery of benchmarks: timing, interleaved rounds (so drift
 * hits every transport alike), back-to-back blocks, and the result table.
 *
 * @module
 */
import type { MachineInfo } from "./machine.ts";
import { summarize, type Summary } from "./stats.ts";

/** What every benchmark report holds, beside its own findings. */
export interface BenchReport {
  /** The command that reproduces this run. */
  command: string;
  /** When it ran (ISO 8601). */
  date: string;
  /** The machine it ran on. */
  machine: MachineInfo;
  /** Latency summaries in ms, per scenario. */
  results: Record<string, Summary>;
}

/** A scenario: runs once and returns its duration in milliseconds. */
export type Scenario = () => Promise<number>;

/** Times `fn` in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Brings a process's large allocations to their steady state before it is
 * measured. On these VMs the first hundred or so 1 MiB buffers a process
 * allocates take ~3.5 ms each (fresh pages, faulted in one by one), the rest
 * ~0.08 ms: without this, 1 MB scenarios start with a slow phase that depends
 * on how many allocations came before, not on the transport.
 */
export function warmLargeAllocations(count = 256): void {
  for (let i = 0; i < count; i++) new Uint8Array(1 << 20).fill(1);
}

/** Collects samples by scenario name. */
export class Recorder {
  #samples = new Map<string, number[]>();

  /** Adds one sample. */
  record(name: string, ms: number): void {
    const list = this.#samples.get(name);
    if (list) list.push(ms);
    else this.#samples.set(name, [ms]);
  }

  /** Runs every scenario once per round, `warmup` rounds unrecorded then `runs` recorded. */
  async interleave(
    scenarios: Record<string, Scenario>,
    warmup: number,
    runs: number,
  ): Promise<void> {
    for (let round = 0; round < warmup + runs; round++) {
      for (const [name, run] of Object.entries(scenarios)) {
        const ms = await run();
        if (round >= warmup) this.record(name, ms);
      }
    }
  }

  /**
   * Runs each named scenario `runs` times in a row after `warmup` unrecorded
   * runs, one scenario after the other, as `<name>_back_to_back`.
   */
  async backToBack(
    scenarios: Record<string, Scenario>,
    names: readonly string[],
    warmup: number,
    runs: number,
  ): Promise<void> {
    for (const name of names) {
      const run = scenarios[name];
      if (!run) throw new TypeError(`Cannot run scenario ${name} back to back: no such scenario`);
      for (let i = 0; i < warmup; i++) await run();
      for (let i = 0; i < runs; i++) this.record(`${name}_back_to_back`, await run());
    }
  }

  /** Summaries by scenario, in the order scenarios first recorded. */
  results(): Record<string, Summary> {
    return Object.fromEntries(
      [...this.#samples].map(([name, samples]) => [name, summarize(samples)]),
    );
  }
}

/** The table benchmarks print: median, p90, p99 and sample count per scenario. */
export function formatTable(results: Record<string, Summary>, unit = "ms"): string {
  const width = Math.max(24, ...Object.keys(results).map((n) => n.length + 2));
  const cell = (n: number) => n.toFixed(3).padStart(9);
  const lines = [
    `${`scenario (${unit})`.padEnd(width)}${"median".padStart(9)}${"p90".padStart(9)}${
      "p99".padStart(9)
    }${"n".padStart(7)}`,
  ];
  for (const [name, s] of Object.entries(results)) {
    lines.push(
      `${name.padEnd(width)}${cell(s.median)}${cell(s.p90)}${cell(s.p99)}${
        String(s.n).padStart(7)
      }`,
    );
  }
  return lines.join("\n");
}
