/**
 * A synthetic paper run for tests: every transport in a box-plot scenario,
 * an RTT sweep and a chain scenario, from a seeded generator so it never changes.
 *
 * @module
 */
import { type BenchRun, type Series, TRANSPORT_MODES, type TransportMode } from "./samples.ts";

/** Round trips each transport spends before its response: TCP 2, TLS 1.3 3, TLS 1.2 4, HTTP/3 1-RTT 2, 0-RTT 1. */
const ROUND_TRIPS: Record<TransportMode, number> = {
  "tcp": 2,
  "tls12": 4,
  "tls": 3,
  "h3-1rtt": 2,
  "h3-0rtt": 1,
  "h3-0rtt-idempotent": 1,
};

/** A run shaped like the paper's: `n` samples per series. */
export function paperRun(n = 20): BenchRun {
  let state = 42;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const series = (
    scenario: string,
    transport: TransportMode,
    rttMs: number,
    chainLength?: number,
  ): Series => ({
    scenario,
    transport,
    rttMs,
    ...(chainLength === undefined ? {} : { chainLength }),
    samples: Array.from(
      { length: n },
      () => (1 + ROUND_TRIPS[transport] * rttMs) * (chainLength ?? 1) + random(),
    ),
  });
  return {
    command: "qfaas bench paper",
    startedAt: "2022-11-07T00:00:00.000Z",
    machine: { cpu: "test", cores: 2 },
    series: [
      ...TRANSPORT_MODES.map((t) => series("get-noncontinuous", t, 0.5)),
      ...[0, 0.5, 1, 2, 3].flatMap((rtt) =>
        TRANSPORT_MODES.map((t) => series("rtt-sweep", t, rtt))
      ),
      ...[1, 2, 3, 4, 5, 6].flatMap((len) =>
        TRANSPORT_MODES.map((t) => series("chain", t, 0.5, len))
      ),
    ],
  };
}
