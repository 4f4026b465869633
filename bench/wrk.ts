/**
 * wrk (https://github.com/wg/wrk) as a load generator: runs it against one
 * URL and reads its report. The throughput scenarios use it because a load
 * generator in JavaScript would spend the CPU the gateway needs (2 cores
 * here); wrk is C, epoll, and keeps every connection busy.
 *
 * @module
 */

/** What one wrk run measured. */
export interface WrkResult {
  /** The URL loaded. */
  url: string;
  /** Connections kept open, each with one request in flight. */
  connections: number;
  /** Requests completed. */
  requests: number;
  /** Length of the run, s. */
  seconds: number;
  /** Requests per second, as wrk reports it. */
  rps: number;
  /** Latency percentiles, ms. */
  latencyMs: { p50: number; p90: number; p99: number };
  /** Socket errors (connect, read, write, timeout) plus responses that were not 2xx/3xx. */
  errors: number;
}

/** wrk is not installed (the scenario says how to install it, rather than failing the bench). */
export class WrkMissing extends Error {
  constructor() {
    super("wrk is not installed (Debian: apt-get install wrk)");
    this.name = "WrkMissing";
  }
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** A wrk duration ("812.00us", "1.20ms", "2.01s") in ms. */
export function wrkDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`wrk: unreadable duration "${text}"`);
  return Number(match[1]) * UNITS[match[2]];
}

/** Reads wrk's text report (with `--latency`). */
export function parseWrk(
  output: string,
  run: { url: string; connections: number; seconds: number },
): WrkResult {
  const number = (pattern: RegExp) => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`wrk: no ${pattern} in its report:\n${output}`);
    return match;
  };
  const percentile = (p: number) => wrkDuration(number(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m"))[1]);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    ...run,
    requests: Number(number(/(\d+) requests in/)[1]),
    rps: Number(number(/Requests\/sec:\s+([\d.]+)/)[1]),
    latencyMs: { p50: percentile(50), p90: percentile(90), p99: percentile(99) },
    errors: (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) +
      (non2xx ? Number(non2xx[1]) : 0),
  };
}

/** Runs `wrk -t threads -c connections -d seconds --latency url`. Throws `WrkMissing` without wrk. */
export async function runWrk(
  url: string,
  options: { threads?: number; connections: number; seconds: number },
): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 2}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    url,
  ];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new WrkMissing();
    throw error;
  }
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`wrk ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return parseWrk(text, { url, connections: options.connections, seconds: options.seconds });
}
