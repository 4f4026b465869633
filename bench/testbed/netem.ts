/**
 * Delays made by the kernel: a `tc netem` qdisc on each host's `eth0`, where
 * the kernel has sch_netem. Every frame a host sends waits the one-way delay
 * before it enters the hub's bridge, so a round trip between two hosts waits
 * twice.
 *
 * @module
 */
import { run, runOk } from "./_command.ts";
import { listNamespaces, uniqueBaseName } from "./netns.ts";

const available = new Map<string, Promise<boolean>>();

/**
 * Whether `tc netem` works here, found by trying it on the loopback device of
 * a scratch namespace (named with `prefix`, removed again). Cached per process.
 */
export function netemAvailable(prefix?: string): Promise<boolean> {
  const key = prefix ?? "";
  let result = available.get(key);
  if (!result) {
    result = probe(prefix);
    available.set(key, result);
  }
  return result;
}

async function probe(prefix?: string): Promise<boolean> {
  const namespace = `${uniqueBaseName(prefix)}.probe`;
  const added = await run("preflight", "ip", ["netns", "add", namespace]);
  if (added.code !== 0) return false;
  try {
    const tc = await run("preflight", "tc", [
      "-n",
      namespace,
      "qdisc",
      "add",
      "dev",
      "lo",
      "root",
      "netem",
      "delay",
      "1ms",
    ]);
    return tc.code === 0;
  } catch {
    return false; // no tc at all
  } finally {
    if ((await listNamespaces(namespace)).includes(namespace)) {
      await run("preflight", "ip", ["netns", "del", namespace]);
    }
  }
}

/** Holds every frame leaving each of `namespaces` (on `eth0`) for the same one-way delay. */
export class NetemDelays {
  #namespaces: readonly string[];

  /** Controls the `eth0` of each of `namespaces`; nothing is installed until `setOneWayUs`. */
  constructor(namespaces: readonly string[]) {
    this.#namespaces = namespaces;
  }

  /** Sets the one-way delay on every host, in microseconds. */
  async setOneWayUs(us: number): Promise<void> {
    // A generous limit: netem's default of 1000 packets drops bursts at a few ms.
    await Promise.all(
      this.#namespaces.map((namespace) =>
        runOk("rtt", `set the netem delay in ${namespace}`, "tc", [
          "-n",
          namespace,
          "qdisc",
          "replace",
          "dev",
          "eth0",
          "root",
          "netem",
          "delay",
          `${Math.round(us)}us`,
          "limit",
          "100000",
        ])
      ),
    );
  }
}
