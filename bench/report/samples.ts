/**
 * The data model of a paper benchmark run: raw latency samples per scenario,
 * transport, round-trip time and chain length, as written to JSON.
 *
 * @module
 */

import type { Transport } from "../../config/mod.ts";

/** How an HTTP/3 connection starts: a full handshake, or 0-RTT for all requests or idempotent ones. */
export type H3Start = "1rtt" | "0rtt" | "0rtt-idempotent";

/**
 * What one series measures: a worker `Transport` (config/), with HTTP/3 split
 * by how its connections start: HTTP/1.1 over TCP, HTTPS over TLS 1.3 and over
 * TLS 1.2 (the paper's baseline), and HTTP/3 in three modes. Reports name it in their `transport` field.
 */
export type TransportMode = Exclude<Transport, "h3"> | `h3-${H3Start}`;

/** Every transport mode, in the order tables and charts list them (baselines first). */
export const TRANSPORT_MODES: readonly TransportMode[] = [
  "tcp",
  "tls12",
  "tls",
  "h3-1rtt",
  "h3-0rtt",
  "h3-0rtt-idempotent",
];

/** The latency samples of one transport in one scenario at one round-trip time (and chain length). */
export interface Series {
  /** Free-form scenario name, e.g. "get-noncontinuous" or "chain". */
  scenario: string;
  /** The transport mode measured. */
  transport: TransportMode;
  /** Emulated round-trip time between gateway and worker, ms. */
  rttMs: number;
  /** Functions in the chain, for chain scenarios. */
  chainLength?: number;
  /** Latencies, ms, in the order measured. */
  samples: number[];
}

/** One `qfaas bench paper` run: how it was started, where, and every series it measured. */
export interface BenchRun {
  /** The command that reproduces this run. */
  command: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** The machine it ran on (see `machineInfo()`). */
  machine: Record<string, unknown>;
  /** The measured series. */
  series: Series[];
}

/** Which series to pick from a run: a scenario, and optionally one RTT and chain length. */
export interface SeriesFilter {
  /** Scenario name. */
  scenario: string;
  /** Round-trip time, ms; any when omitted. */
  rttMs?: number;
  /** Chain length; any when omitted. */
  chainLength?: number;
}

/** The series of `run` that match `filter`, in run order; lets charts and reports share one selection rule. */
export function selectSeries(run: BenchRun, filter: SeriesFilter): Series[] {
  return run.series.filter((s) =>
    s.scenario === filter.scenario &&
    (filter.rttMs === undefined || s.rttMs === filter.rttMs) &&
    (filter.chainLength === undefined || s.chainLength === filter.chainLength)
  );
}
