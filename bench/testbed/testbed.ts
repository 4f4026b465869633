/**
 * A benchmark test bed: several "hosts" as network namespaces on this
 * machine, joined with a configurable round-trip time, so end user, gateway
 * and workers can run as if on separate machines of one cloud.
 *
 * @example
 * ```ts
 * await removeStale(); // what a crashed run left behind
 * await using bed = await createTestbed({ hosts: ["user", "gateway", "worker"], rttMs: 2 });
 * await bed.verify();
 * const [cmd, ...args] = bed.command("gateway");
 * const gateway = new Deno.Command(cmd, { args: [...args, "qfaas", "dev"] }).spawn();
 * // ... reach it from "user" at bed.hosts.gateway.address; then:
 * gateway.kill();
 * await gateway.status;
 * ```
 *
 * @module
 */
import { ipBatch } from "./_command.ts";
import { buildDelayLine, DelayLine, type DelayLineStats } from "./delay_line.ts";
import { RttMismatchError, TestbedError, type TestbedStep } from "./errors.ts";
import { netemAvailable, NetemDelays } from "./netem.ts";
import { DEFAULT_PREFIX, deleteNamespaces, uniqueBaseName } from "./netns.ts";
import { ping, type RttCheck, type RttSample } from "./ping.ts";
import { planTopology, type TopologyPlan, validateHosts } from "./topology.ts";

/** How the delay is made: the kernel's `tc netem`, or the userspace delay line. */
export type Backend = "netem" | "delay-line";

/** Options of `createTestbed`. */
export interface TestbedOptions {
  /** Host names (letters, digits, "-", "_"); each becomes a namespace. */
  hosts: string[];
  /** Round-trip time between any two hosts, milliseconds (0 to 10 000). */
  rttMs: number;
  /** "auto" (default) uses netem where the kernel has it, else the delay line. */
  backend?: "auto" | Backend;
  /** MTU of every link (default 1500). */
  mtu?: number;
  /** Namespace prefix (default "qfaas-"); `removeStale` sweeps by it. */
  prefix?: string;
  /**
   * Measure the kernel's own round-trip cost (about 0.25 s) and hold frames
   * that much less, so `ping` reports the configured RTT (default true; needs
   * two hosts and `ping`).
   */
  calibrate?: boolean;
  /** SCHED_FIFO priority for the delay line (default 50; 0 for none). */
  realtimePriority?: number;
  /**
   * MiB of frames the delay line may hold at once (default 16: about 11 GB/s
   * in flight at 3 ms RTT); beyond that it drops frames, like a full router queue.
   */
  queueMb?: number;
  /** Called after each creation step; throwing from it undoes the creation. */
  onStep?: (step: TestbedStep) => void | Promise<void>;
}

/** One host of a test bed. */
export interface TestbedHost {
  /** Its network namespace. */
  namespace: string;
  /** Its IPv4 address (on `eth0`), reachable from every other host. */
  address: string;
}

/** Hosts joined with a configurable RTT; close it (or `await using` it) to remove everything. */
export interface Testbed extends AsyncDisposable {
  /** How the delay is made. */
  readonly backend: Backend;
  /** The hosts by name. */
  readonly hosts: Readonly<Record<string, TestbedHost>>;
  /** The configured round-trip time, milliseconds. */
  readonly rttMs: number;
  /** The kernel's round-trip cost subtracted from the holding time, milliseconds. */
  readonly overheadMs: number;
  /** Whether the delay line runs under SCHED_FIFO (always false for netem). */
  readonly realtime: boolean;
  /** Processes the test bed runs (the delay line), for monitoring. */
  readonly pids: readonly number[];
  /** The argv prefix that runs a command inside `host`: `["ip", "netns", "exec", namespace]`. */
  command(host: string): string[];
  /** Changes the RTT of every link without rebuilding anything. */
  setRtt(ms: number): Promise<void>;
  /** Pings `to` from `from` `count` times (default 20) and summarises the RTT, milliseconds. */
  measureRtt(from: string, to: string, count?: number): Promise<RttSample>;
  /**
   * Pings every pair of hosts and throws RttMismatchError if a median is off
   * the configured RTT by more than `tolerance` (default 0.1) of it; at RTT 0
   * the bound is ZERO_RTT_BOUND_MS.
   */
  verify(tolerance?: number): Promise<RttCheck[]>;
  /** The delay line's counters (null for netem). */
  stats(): Promise<DelayLineStats | null>;
  /** Removes every namespace, device and process the test bed made. Idempotent. */
  close(): Promise<void>;
}

/** The largest median `verify` accepts at RTT 0, ms: the hub's own cost (two wake-ups) stays below it. */
export const ZERO_RTT_BOUND_MS = 0.3;
/**
 * The RTT (ms) at which the kernel's round-trip cost is calibrated: the low
 * end of the intra-cloud range, where 10% is tightest (50 µs). On this VM the
 * cost is 0.02–0.06 ms: more at small RTTs and with longer idle gaps between
 * packets, and it drifts over minutes, so every test bed measures it afresh
 * (about 0.25 s).
 */
const CALIBRATION_RTT_MS = 0.5;
/** Calibration never subtracts more than this (ms): a larger "overhead" is noise. */
const MAX_OVERHEAD_MS = 0.2;
const MAX_RTT_MS = 10_000;
let warnedRealtime = false;

/** What makes the delay, whichever backend: the one interface both implement. */
interface Delays {
  readonly pids: readonly number[];
  readonly realtime: boolean;
  setOneWayUs(us: number): Promise<void>;
  stats(): Promise<DelayLineStats | null>;
  /** Ends at once, synchronously, best effort (exit handlers). */
  kill(): void;
  close(): Promise<void>;
}

class DelayLineDelays implements Delays {
  #line: DelayLine;
  constructor(line: DelayLine) {
    this.#line = line;
  }
  get pids(): readonly number[] {
    return [this.#line.pid];
  }
  get realtime(): boolean {
    return this.#line.realtime;
  }
  setOneWayUs(us: number): Promise<void> {
    return this.#line.setDelayUs(us);
  }
  stats(): Promise<DelayLineStats> {
    return this.#line.stats();
  }
  kill(): void {
    this.#line.kill();
  }
  close(): Promise<void> {
    return this.#line.close();
  }
}

class KernelDelays implements Delays {
  readonly pids: readonly number[] = [];
  readonly realtime = false;
  #netem: NetemDelays;
  constructor(netem: NetemDelays) {
    this.#netem = netem;
  }
  setOneWayUs(us: number): Promise<void> {
    return this.#netem.setOneWayUs(us);
  }
  stats(): Promise<null> {
    return Promise.resolve(null);
  }
  kill(): void {}
  close(): Promise<void> {
    return Promise.resolve(); // the qdiscs go with the namespaces
  }
}

function checkRtt(ms: number): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > MAX_RTT_MS) {
    throw new RangeError(`Cannot set the RTT: received ${ms}, expected 0 to ${MAX_RTT_MS} ms`);
  }
}

class TestbedImpl implements Testbed {
  readonly backend: Backend;
  readonly hosts: Readonly<Record<string, TestbedHost>>;
  #plan: TopologyPlan;
  #rttMs = 0;
  #overheadMs = 0;
  #delays?: Delays;
  /** The delay line process while it starts, before `#delays` holds it. */
  #starting?: Deno.ChildProcess;
  #closing = false;
  #closeChain: Promise<void> = Promise.resolve();

  constructor(plan: TopologyPlan, backend: Backend) {
    this.#plan = plan;
    this.backend = backend;
    this.hosts = Object.freeze(Object.fromEntries(
      plan.hosts.map((host) => [host.name, { namespace: host.namespace, address: host.address }]),
    ));
  }

  get rttMs(): number {
    return this.#rttMs;
  }
  get overheadMs(): number {
    return this.#overheadMs;
  }
  get realtime(): boolean {
    return this.#delays?.realtime ?? false;
  }
  get pids(): readonly number[] {
    return this.#delays?.pids ?? [];
  }
  /** Everything a signal or unload handler must end, without awaiting. */
  get namespaces(): string[] {
    return [this.#plan.hub, ...this.#plan.hosts.map((host) => host.namespace)];
  }
  /** Kills the delay line at once (exit handler; the namespaces are the caller's). */
  killNow(): void {
    this.#delays?.kill();
    try {
      this.#starting?.kill("SIGKILL");
    } catch { /* exited */ }
  }

  #host(name: string): TestbedHost {
    const host = this.hosts[name];
    if (!host) {
      throw new TypeError(
        `Cannot find host: received ${JSON.stringify(name)}, expected one of ${
          Object.keys(this.hosts).join(", ")
        }`,
      );
    }
    return host;
  }

  #alive(step: TestbedStep): void {
    if (this.#closing) throw new TestbedError(step, "The test bed is closed");
  }

  async build(options: TestbedOptions): Promise<void> {
    const plan = this.#plan;
    const step = async (name: TestbedStep) => {
      this.#alive(name);
      await options.onStep?.(name);
      this.#alive(name);
    };
    await ipBatch("namespaces", "create namespaces and links", plan.root);
    await step("namespaces");
    await Promise.all([
      ipBatch("links", "set up the hub", plan.hubSetup, { namespace: plan.hub }),
      ...Object.entries(plan.hostSetup).map(([namespace, lines]) =>
        ipBatch("links", `set up ${namespace}`, lines, { namespace })
      ),
    ]);
    await step("links");
    const firstUs = this.#holdUs(options.rttMs, 0);
    if (this.backend === "netem") {
      const netem = new NetemDelays(plan.hosts.map((host) => host.namespace));
      this.#delays = new KernelDelays(netem);
      await netem.setOneWayUs(firstUs);
    } else {
      const line = await DelayLine.start({
        name: plan.hub,
        hubNamespace: plan.hub,
        links: plan.hosts,
        delayUs: firstUs,
        realtimePriority: options.realtimePriority,
        queueMb: options.queueMb,
      }, (child) => this.#starting = child);
      this.#delays = new DelayLineDelays(line);
      if (!line.realtime && (options.realtimePriority ?? 50) > 0 && !warnedRealtime) {
        warnedRealtime = true;
        console.warn(
          "qfaas test bed: the delay line runs without SCHED_FIFO (not permitted here); " +
            "its timing is less accurate when the CPUs are busy",
        );
      }
    }
    await step("delays");
    if (options.calibrate !== false && plan.hosts.length >= 2) {
      this.#overheadMs = await this.#calibrate();
    }
    await step("calibrated");
    await this.setRtt(options.rttMs);
  }

  /**
   * Measures how much a round trip costs beyond the held time: the ping
   * median at CALIBRATION_RTT_MS minus that RTT.
   */
  async #calibrate(): Promise<number> {
    const [a, b] = this.#plan.hosts;
    await this.#delays!.setOneWayUs(this.#holdUs(CALIBRATION_RTT_MS, 0));
    // The same pace as measureRtt: the cost grows with the idle time between pings.
    const excess = (await ping(a.namespace, b.address, 20)).median - CALIBRATION_RTT_MS;
    return Math.min(MAX_OVERHEAD_MS, Math.max(0, excess));
  }

  #holdUs(rttMs: number, overheadMs: number): number {
    return Math.max(0, (rttMs - overheadMs) / 2) * 1000;
  }

  command(host: string): string[] {
    return ["ip", "netns", "exec", this.#host(host).namespace];
  }

  async setRtt(ms: number): Promise<void> {
    checkRtt(ms);
    this.#alive("rtt");
    await this.#delays!.setOneWayUs(this.#holdUs(ms, this.#overheadMs));
    this.#rttMs = ms;
  }

  measureRtt(from: string, to: string, count = 20): Promise<RttSample> {
    this.#alive("measure");
    return ping(this.#host(from).namespace, this.#host(to).address, count);
  }

  async verify(tolerance = 0.1): Promise<RttCheck[]> {
    if (!(tolerance > 0)) {
      throw new RangeError(`Cannot verify: received tolerance ${tolerance}, expected > 0`);
    }
    const names = Object.keys(this.hosts);
    const checks: RttCheck[] = [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const sample = await this.measureRtt(names[i], names[j]);
        const rttMs = this.#rttMs;
        const allowedMs = rttMs > 0 ? tolerance * rttMs : ZERO_RTT_BOUND_MS;
        checks.push({
          from: names[i],
          to: names[j],
          rttMs,
          ...sample,
          allowedMs,
          ok: Math.abs(sample.median - rttMs) <= allowedMs,
        });
      }
    }
    const failed = checks.filter((check) => !check.ok);
    if (failed.length > 0) throw new RttMismatchError(checks);
    return checks;
  }

  stats(): Promise<DelayLineStats | null> {
    this.#alive("measure");
    return this.#delays!.stats();
  }

  close(): Promise<void> {
    this.#closing = true;
    // Each call cleans up what exists by then, so a close during creation and
    // the one after it both count.
    this.#closeChain = this.#closeChain.catch(() => {}).then(() => this.#cleanup());
    return this.#closeChain;
  }

  async #cleanup(): Promise<void> {
    const errors: unknown[] = [];
    try {
      await this.#delays?.close();
    } catch (error) {
      errors.push(error);
    }
    // A delay line that never finished starting (DelayLine.start reaps it).
    if (!this.#delays) {
      try {
        this.#starting?.kill("SIGKILL");
      } catch { /* exited */ }
    }
    try {
      await deleteNamespaces(this.namespaces);
    } catch (error) {
      errors.push(error);
    }
    live.delete(this);
    updateListeners();
    if (errors.length > 0) {
      throw new TestbedError("close", "Cannot remove the test bed completely", "", {
        cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
      });
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// Test beds to remove on Ctrl-C, SIGTERM or exit; the handlers exist only while one is open.
const live = new Set<TestbedImpl>();
let listening = false;

const onSigint = () => void endAll(130);
const onSigterm = () => void endAll(143);

async function endAll(code: number): Promise<void> {
  await Promise.allSettled([...live].map((bed) => bed.close()));
  Deno.exit(code);
}

/** Last resort on exit: synchronous, so it runs even when nobody closed the test bed. */
function onUnload(): void {
  for (const bed of live) {
    bed.killNow();
    for (const namespace of bed.namespaces) {
      try {
        new Deno.Command("ip", { args: ["netns", "del", namespace], stderr: "null" })
          .outputSync();
      } catch { /* best effort */ }
    }
  }
}

function updateListeners(): void {
  if (live.size > 0 && !listening) {
    Deno.addSignalListener("SIGINT", onSigint);
    Deno.addSignalListener("SIGTERM", onSigterm);
    globalThis.addEventListener("unload", onUnload);
    listening = true;
  } else if (live.size === 0 && listening) {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigterm);
    globalThis.removeEventListener("unload", onUnload);
    listening = false;
  }
}

/**
 * Creates the hosts and joins them with `rttMs`. Needs root (a TestbedError
 * otherwise). If any step fails, everything made so far is removed before
 * the error (a TestbedError, or whatever `onStep` threw) is thrown. While open, Ctrl-C and SIGTERM remove the test bed and
 * exit the process (130 and 143).
 */
export async function createTestbed(options: TestbedOptions): Promise<Testbed> {
  checkRtt(options.rttMs);
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535) {
    throw new RangeError(`Cannot create a test bed: received MTU ${mtu}, expected 576 to 65535`);
  }
  const queueMb = options.queueMb ?? 16;
  if (!Number.isInteger(queueMb) || queueMb < 1 || queueMb > 4000) {
    throw new RangeError(
      `Cannot create a test bed: received queueMb ${queueMb}, expected 1 to 4000`,
    );
  }
  validateHosts(options.hosts);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const base = uniqueBaseName(prefix);
  if (Deno.uid() !== 0) {
    throw new TestbedError(
      "preflight",
      "Cannot create a test bed: network namespaces need root (run as root or under sudo)",
    );
  }
  const requested = options.backend ?? "auto";
  const netem = requested === "delay-line" ? false : await netemAvailable(prefix);
  if (requested === "netem" && !netem) {
    throw new TestbedError("preflight", "Cannot use netem: this kernel has no sch_netem");
  }
  const backend: Backend = netem ? "netem" : "delay-line";
  // Build the delay line before making anything, so a missing compiler leaves nothing behind.
  if (backend === "delay-line") await buildDelayLine();
  const plan = planTopology(base, options.hosts, { mtu, bridge: backend === "netem" });
  const bed = new TestbedImpl(plan, backend);
  live.add(bed);
  updateListeners();
  try {
    await bed.build({ ...options, mtu, prefix });
    return bed;
  } catch (error) {
    await bed.close().catch(() => {});
    throw error;
  }
}
