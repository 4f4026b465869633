/**
 * The hosts of `qfaas bench paper` and `qfaas bench app` (end user, gateway,
 * workers, and any an app needs besides, such as the TLS host Cert Info
 * probes): network namespaces on the test bed at an emulated RTT, or, for
 * development, everything on loopback here with no delay.
 *
 * @module
 */
import { createTestbed } from "../testbed/mod.ts";

/** The prefix of the namespaces the benches make (`ip netns list` shows them while they run). */
export const NAMESPACE_PREFIX = "qfaas-paper-";

const PROJECT = new URL("../../", import.meta.url).pathname;

/** What the benches need of their hosts. */
export interface Hosts extends AsyncDisposable {
  /** How the delay is made. */
  readonly backend: string;
  /** Each host's address, by name: user, gateway, workers and the extra ones. */
  readonly hosts: Record<string, { address: string }>;
  /** The argv prefix that runs a command on `host`. */
  command(host: string): string[];
  /** Changes the RTT between every pair of hosts. */
  setRtt(ms: number): Promise<void>;
  /** Pings every pair; throws if a median is off by more than `tolerance` of the RTT. */
  verify(tolerance?: number): Promise<{ median: number }[]>;
}

/** Every host on loopback here, with no delay. */
function loopbackHosts(extra: readonly string[]): Hosts {
  const here = { address: "127.0.0.1" };
  return {
    backend: "loopback (no delay)",
    hosts: Object.fromEntries(HOSTS.concat(extra).map((name) => [name, here])),
    command: () => [],
    setRtt: (ms) => {
      if (ms !== 0) throw new Error(`Cannot emulate ${ms} ms on loopback: use the test bed`);
      return Promise.resolve();
    },
    verify: () => Promise.resolve([]),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

/** The hosts every bench has. */
const HOSTS = ["user", "gateway", "workers"];

/**
 * The hosts at `rttMs`, with `extra` ones besides the three: namespaces
 * (needs root, says so otherwise), or loopback.
 */
export async function benchHosts(
  rttMs: number,
  loopback: boolean,
  extra: readonly string[] = [],
): Promise<Hosts> {
  if (loopback) return loopbackHosts(extra);
  if (Deno.uid() !== 0) {
    throw new Error(
      "this benchmark needs root: it creates network namespaces (run it with sudo, or as root in a VM or container with CAP_NET_ADMIN)",
    );
  }
  return await createTestbed({
    hosts: HOSTS.concat(extra),
    rttMs,
    prefix: NAMESPACE_PREFIX,
  });
}

/** The argv that runs one of the project's scripts with its configuration. */
export function deno(script: string): string[] {
  return [Deno.execPath(), "run", "-A", `--config=${PROJECT}deno.json`, `${PROJECT}${script}`];
}
