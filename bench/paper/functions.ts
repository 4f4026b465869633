/**
 * The functions `qfaas bench paper` registers: for every transport, echo
 * (kept and new connections), the 1 MB function, a cold-start function and
 * the nested chain — the same handlers, differing only in how the gateway
 * (and, for the chain, the function) reaches the next hop. All of them start
 * a new process for every worker (`freshProcess`), except the cold-start
 * function of `STEM_TRANSPORTS`, whose workers are stem cells specialized.
 *
 * @module
 */
import type { Transport } from "../../config/mod.ts";
import type { InvokerFunction } from "../../invoker/mod.ts";
import type { TransportMode } from "../report/mod.ts";

const examples = new URL("../../examples/functions/", import.meta.url).pathname;
const CHAIN = new URL("./functions/chain.ts", import.meta.url).pathname;

/** How the gateway reaches a worker in one transport mode: a worker transport and its 0-RTT policy. */
export type Hop = { transport: Transport } & Pick<InvokerFunction, "earlyData" | "preseed">;

/** The hop of each transport mode the paper compares. */
export function hop(mode: TransportMode): Hop {
  switch (mode) {
    case "tcp":
      return { transport: "tcp" };
    case "tls":
      return { transport: "tls" };
    case "tls12":
      return { transport: "tls12" };
    case "h3-1rtt":
      // No 0-RTT at all, and no minted session: a new worker's first connection is a full handshake.
      return { transport: "h3", earlyData: "off", preseed: false };
    case "h3-0rtt":
      return { transport: "h3", earlyData: "all" };
    case "h3-0rtt-idempotent":
      return { transport: "h3", earlyData: "idempotent" };
  }
}

/**
 * Stem cells the gateway keeps per class (gateway_node.ts): one is enough,
 * since the bench waits for it before each cold start on a stem cell.
 */
export const STEM_CELLS = 1;

/** The transports of the cold start on a stem cell (`names.coldStem`). */
export const STEM_TRANSPORTS: readonly TransportMode[] = ["h3-0rtt"];

/** Function names, per scenario and transport. */
export const names = {
  /** echo over a new connection per request (non-continuous). */
  fresh: (t: TransportMode) => `echo-${t}-new`,
  /** echo over kept connections (continuous). */
  kept: (t: TransportMode) => `echo-${t}`,
  /** 1 MB over a new connection per request. */
  megabyte: (t: TransportMode) => `mb-${t}-new`,
  /** A function whose worker the bench replaces before every request. */
  cold: (t: TransportMode) => `cold-${t}`,
  /** Like `cold`, but its new worker is a stem cell specialized, not a new process. */
  coldStem: (t: TransportMode) => `cold-stem-${t}`,
  /** The nested chain; each hop opens new connections. */
  chain: (t: TransportMode) => `chain-${t}`,
};

/** Where the chain's functions call the gateway over TCP and TLS. */
export interface GatewayUrls {
  /** The gateway's HTTP/1.1 base URL. */
  http: string;
  /** The gateway's HTTPS base URL. */
  https: string;
}

/**
 * Every function of the paper bench for `transports`. Only the stem
 * cold-start functions may take stem cells; the others start a process for
 * every worker, so their numbers do not depend on the gateway's stem cells.
 */
export function paperFunctions(
  transports: readonly TransportMode[],
  urls: GatewayUrls,
): InvokerFunction[] {
  return transports.flatMap((t) => {
    const how = { ...hop(t), freshProcess: true };
    const echo = `${examples}echo/main.ts`;
    return [
      { name: names.fresh(t), module: echo, connection: "new", ...how },
      { name: names.kept(t), module: echo, ...how },
      { name: names.megabyte(t), module: `${examples}megabyte/main.ts`, connection: "new", ...how },
      { name: names.cold(t), module: echo, connection: "new", max: 1, ...how },
      {
        name: names.chain(t),
        module: CHAIN,
        connection: "new",
        max: 8,
        env: {
          BENCH_TRANSPORT: t,
          BENCH_NEXT: names.chain(t),
          BENCH_GATEWAY_HTTP: urls.http,
          BENCH_GATEWAY_HTTPS: urls.https,
        },
        ...how,
      },
      ...(STEM_TRANSPORTS.includes(t)
        ? [{
          name: names.coldStem(t),
          module: echo,
          connection: "new" as const,
          max: 1,
          ...hop(t),
        }]
        : []),
    ] satisfies InvokerFunction[];
  });
}
