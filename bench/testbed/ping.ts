/**
 * Round-trip time between test-bed hosts, measured with `ping` (iputils) run
 * inside the sending host's namespace.
 *
 * @module
 */
import { summarize, type Summary } from "../stats.ts";
import { run } from "./_command.ts";
import { TestbedError } from "./errors.ts";

/** Round-trip times of one series of pings, in milliseconds: replies received (`n`) and percentiles. */
export type RttSample = Pick<Summary, "n" | "median" | "p10" | "p90">;

/** One pair of hosts checked by `Testbed.verify`. */
export interface RttCheck extends RttSample {
  /** The host that pinged. */
  from: string;
  /** The host pinged. */
  to: string;
  /** The configured RTT, milliseconds. */
  rttMs: number;
  /** The largest accepted |median − rttMs|, milliseconds. */
  allowedMs: number;
  /** Whether the median was within `allowedMs`. */
  ok: boolean;
}

/** The per-reply times ("time=0.512 ms") in ping's output, in milliseconds. */
export function parsePingTimes(output: string): number[] {
  return [...output.matchAll(/\btime[=<]([\d.]+) ?ms\b/g)].map((match) => Number(match[1]));
}

/** Median, p10 and p90 of `times`; throws RangeError when empty. */
export function summarizeRtt(times: readonly number[]): RttSample {
  if (times.length === 0) throw new RangeError("Cannot summarise round trips: received none");
  const { n, median, p10, p90 } = summarize(times);
  return { n, median, p10, p90 };
}

/** Pings sent first and not counted: the first replies pay for cold caches and idle CPUs. */
const WARM_UP = 2;

/**
 * Pings `address` `count` times from inside `namespace`, `intervalMs` apart
 * (after WARM_UP uncounted pings), and summarises the replies. Throws a
 * TestbedError if fewer than half come back.
 */
export async function ping(
  namespace: string,
  address: string,
  count = 20,
  intervalMs = 10,
): Promise<RttSample> {
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new RangeError(`Cannot ping: received count ${count}, expected 1 to 10000`);
  }
  // Intervals under 200 ms need root, as does entering the namespace.
  const args = [
    "netns",
    "exec",
    namespace,
    "ping",
    "-n",
    "-c",
    String(count + WARM_UP),
    "-i",
    String(intervalMs / 1000),
    "-W",
    "1",
    address,
  ];
  const output = await run("measure", "ip", args, { timeoutMs: 10_000 + count * 1_000 });
  if (/exec of "ping" failed|No such file/.test(output.stderr)) {
    throw new TestbedError(
      "measure",
      "ping is not installed: apt-get install iputils-ping",
      output.stderr,
    );
  }
  const times = parsePingTimes(output.stdout).slice(WARM_UP);
  if (times.length < Math.ceil(count / 2)) {
    throw new TestbedError(
      "measure",
      `Cannot measure the round trip to ${address} from ${namespace}: ${times.length} of ${count} pings answered`,
      output.stderr || output.stdout,
    );
  }
  return summarizeRtt(times);
}
