/**
 * `qfaas bench paper`: the QFaaS paper's §5 reproduced. End user, gateway and
 * workers run in three network namespaces joined with an emulated round-trip
 * time; the same functions are reached through the same gateway over six
 * transports (tcp, tls12, tls, h3-1rtt, h3-0rtt, h3-0rtt-idempotent) — the
 * tls12 functions through a second gateway on the same host whose HTTPS
 * speaks only TLS 1.2, as the paper's platform did, so that a chain's calls
 * back to the gateway use 1.2 too. Scenarios:
 * non-continuous GET and POST, continuous, 1 MB, cold start (a new process;
 * over h3-0rtt also a stem cell specialized), a round-trip sweep and nested
 * chains. Writes raw samples, tables and charts.
 *
 * @module
 */
import { machineInfo } from "../machine.ts";
import {
  type BenchRun,
  ProgressBar,
  type Series,
  summaryRows,
  TRANSPORT_MODES,
  type TransportMode,
  writeReport,
} from "../report/mod.ts";
import { RttMismatchError } from "../testbed/mod.ts";
import { benchHosts, deno } from "./hosts.ts";
import type { ClientJob, ClientResult } from "./client_node.ts";
import { names, STEM_CELLS, STEM_TRANSPORTS } from "./functions.ts";
import type {
  Control,
  ControlAnswer,
  GatewayNodeConfig,
  GatewayNodeReady,
} from "./gateway_node.ts";
import { LineProcess } from "./json_lines.ts";

/** Options of `runPaperBench`. */
export interface PaperBenchOptions {
  /** Samples per series (the paper took 100). */
  samples: number;
  /** Cold starts per transport. */
  coldSamples: number;
  /** The round-trip time of every scenario but the sweep, ms. */
  rttMs: number;
  /** Round-trip times of the sweep, ms. */
  sweepMs: number[];
  /** Chain lengths. */
  chainLengths: number[];
  /** Where to write samples (`paper-bench.json`), charts, `paper-tables.md` and `paper-summary.json`. */
  out: string;
  /** The command line that reproduces this run. */
  command: string;
  /** No namespaces and no delay: everything on loopback here (development; needs no root). */
  loopback?: boolean;
}

/** The settings of the full run and of `--quick`. */
export const PRESETS: Record<"full" | "quick", Omit<PaperBenchOptions, "out" | "command">> = {
  full: {
    samples: 100,
    coldSamples: 100,
    rttMs: 1,
    sweepMs: [0, 0.5, 1, 2, 3],
    chainLengths: [1, 2, 3, 4, 5, 6],
  },
  quick: { samples: 10, coldSamples: 4, rttMs: 1, sweepMs: [0, 1], chainLengths: [1, 3, 6] },
};

/** What a run produced. */
export interface PaperBenchReport {
  /** The run: every series' raw samples. */
  run: BenchRun;
  /** Measured round-trip times before each part, ms, against the configured ones. */
  rttChecks: { configuredMs: number; measuredMs: number }[];
  /** Derived numbers named in the targets. */
  derived: Record<string, number>;
  /** Each target of the issue and whether this run met it. */
  targets: Record<string, boolean>;
  /** The Markdown tables and chart links written beside the samples. */
  markdown: string;
}

/** The transports of scenarios where POST does not matter (h3-0rtt-idempotent is h3-0rtt there). */
export const GET_TRANSPORTS: readonly TransportMode[] = [
  "tcp",
  "tls12",
  "tls",
  "h3-1rtt",
  "h3-0rtt",
];

/** The gateways of a run and the transports each serves: one of them for the TLS 1.2 baseline. */
export const GATEWAY_GROUPS: readonly (readonly TransportMode[])[] = [
  TRANSPORT_MODES.filter((t) => t !== "tls12"),
  ["tls12"],
];
const ROUNDS = 5;
/** Times the delay is measured before a part is refused. */
const RTT_ATTEMPTS = 3;
const ECHO_GET = { text: "GET /\n" };

/** A scenario's jobs for one transport: how to ask, what to expect. */
interface Plan {
  scenario: string;
  transport: TransportMode;
  rttMs: number;
  chainLength?: number;
  job: Omit<ClientJob, "count">;
  /** Replace the function's worker before every request. */
  cold?: string;
  /** The new worker is a stem cell specialized (else a process started for it). */
  stem?: boolean;
}

/**
 * A worker made from a stem cell keeps the cell's name, `stem-<pid>-<n>`; a
 * process started for a function is named after the function
 * (invoker/worker_process.ts).
 */
const fromStemCell = (worker: string) => worker.startsWith("stem-");

/** Runs the paper benchmark; everything it creates is removed when it ends. */
export async function runPaperBench(options: PaperBenchOptions): Promise<PaperBenchReport> {
  const startedAt = new Date().toISOString();
  await using testbed = await benchHosts(options.rttMs, options.loopback ?? false);
  const rttChecks: PaperBenchReport["rttChecks"] = [];
  const verify = async (rttMs: number) => {
    await testbed.setRtt(rttMs);
    // Throws if the delay is off by more than 10% three times, a second apart (a process starting
    // on a host can delay a ping once): nothing is reported then.
    for (let attempt = 1;; attempt++) {
      try {
        const checks = await testbed.verify(0.1);
        for (const check of checks) {
          rttChecks.push({ configuredMs: rttMs, measuredMs: check.median });
        }
        return;
      } catch (error) {
        if (!(error instanceof RttMismatchError) || attempt === RTT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  };
  await verify(options.rttMs);

  await using stack = new AsyncDisposableStack();
  const gatewayOf = new Map<TransportMode, LineProcess<GatewayNodeReady>>();
  for (const transports of GATEWAY_GROUPS) {
    const config: GatewayNodeConfig = {
      hostname: testbed.hosts.gateway.address,
      workers: options.loopback
        ? null
        : { prefix: testbed.command("workers"), address: testbed.hosts.workers.address },
      transports: [...transports],
    };
    const gateway = stack.use(
      await LineProcess.start<GatewayNodeReady>(
        [...testbed.command("gateway"), ...deno("bench/paper/gateway_node.ts")],
        { QFAAS_BENCH_GATEWAY: JSON.stringify(config) },
        `gateway (${transports.join(", ")})`,
      ),
    );
    for (const t of transports) gatewayOf.set(t, gateway);
  }
  const gateway = (t: TransportMode) => gatewayOf.get(t)!;
  await using client = await LineProcess.start<{ ready: true }>(
    [...testbed.command("user"), ...deno("bench/paper/client_node.ts")],
    {},
    "end-user",
  );
  const url = (t: TransportMode, fn: string, query = "") =>
    `${gateway(t).ready.http}/function/${fn}${query}`;

  const plans = (rttMs: number): Plan[] => [
    ...TRANSPORT_MODES.map((t) => ({
      scenario: "get-noncontinuous",
      transport: t,
      rttMs,
      job: { url: url(t, names.fresh(t)), method: "GET" as const, expect: ECHO_GET },
    })),
  ];
  const single: Plan[] = [
    ...plans(options.rttMs),
    ...TRANSPORT_MODES.map((t) => ({
      scenario: "post-noncontinuous",
      transport: t,
      rttMs: options.rttMs,
      job: {
        url: url(t, names.fresh(t)),
        method: "POST" as const,
        body: "qfaas",
        expect: { text: "POST / qfaas\n" },
      },
    })),
    ...TRANSPORT_MODES.map((t) => ({
      scenario: "continuous",
      transport: t,
      rttMs: options.rttMs,
      job: { url: url(t, names.kept(t)), method: "GET" as const, expect: ECHO_GET },
    })),
    ...GET_TRANSPORTS.map((t) => ({
      scenario: "1mb",
      transport: t,
      rttMs: options.rttMs,
      job: {
        url: url(t, names.megabyte(t)),
        method: "GET" as const,
        expect: { bytes: 1024 * 1024 },
      },
    })),
  ];
  const chains: Plan[] = options.chainLengths.flatMap((length) =>
    GET_TRANSPORTS.map((t) => ({
      scenario: "chain",
      transport: t,
      rttMs: options.rttMs,
      chainLength: length,
      job: {
        url: url(t, names.chain(t), `?n=${length}`),
        method: "GET" as const,
        expect: { json: { n: length } },
      },
    }))
  );
  /** A cold start of function `name` (its workers recycled first), on a stem cell or not. */
  const cold = (t: TransportMode, name: string, stem: boolean): Plan => ({
    scenario: stem ? "cold-start-stem" : "cold-start",
    transport: t,
    rttMs: options.rttMs,
    job: { url: url(t, name), method: "GET" as const, expect: ECHO_GET },
    cold: name,
    ...(stem ? { stem: true } : {}),
  });
  const colds = GET_TRANSPORTS.map((t) => cold(t, names.cold(t), false));
  const stemColds = STEM_TRANSPORTS.map((t) => cold(t, names.coldStem(t), true));

  const sweep = options.sweepMs.filter((ms) => ms !== options.rttMs);
  const total = (single.length + chains.length) * options.samples +
    (colds.length + stemColds.length) * options.coldSamples +
    sweep.length * GET_TRANSPORTS.length * options.samples;
  const bar = new ProgressBar("qfaas bench paper", total);
  const series = new Map<string, Series>();
  const seriesOf = (plan: Plan, scenario = plan.scenario) => {
    const key = JSON.stringify([scenario, plan.transport, plan.rttMs, plan.chainLength]);
    let found = series.get(key);
    if (!found) {
      found = {
        scenario,
        transport: plan.transport,
        rttMs: plan.rttMs,
        ...(plan.chainLength ? { chainLength: plan.chainLength } : {}),
        samples: [],
      };
      series.set(key, found);
    }
    return found;
  };
  const request = async (job: ClientJob): Promise<ClientResult> => {
    const result = await client.request<ClientResult>(job);
    if (result.error) throw new Error(`The end user's requests failed: ${result.error}`);
    return result;
  };

  const control = async (t: TransportMode, command: Control): Promise<ControlAnswer> => {
    const answer = await gateway(t).request<ControlAnswer>(command);
    if (!answer.ok) throw new Error(`The gateway node cannot ${command.op}: ${answer.error}`);
    return answer;
  };
  /**
   * Waits until the gateway's stem cell is loaded and free: a stem cold start
   * then finds one, and no cell starts in the background (a process start on
   * the workers' host) while anything is measured.
   */
  const stemCellLoaded = async () => {
    for (const plan of stemColds) {
      await control(plan.transport, { op: "stems", atLeast: STEM_CELLS });
    }
  };
  /** One cold start: a new worker for `plan`'s function, then one request. */
  const coldStart = async (plan: Plan) => {
    await stemCellLoaded();
    await control(plan.transport, { op: "recycle", name: plan.cold! });
    const result = await request({ ...plan.job, count: 1 });
    const worker = result.workers[0] ?? "";
    if (fromStemCell(worker) !== Boolean(plan.stem)) {
      throw new Error(
        `${plan.cold}'s cold start ran on ${worker || "an unnamed worker"}: expected ${
          plan.stem ? "a stem cell" : "a process started for it"
        }`,
      );
    }
    seriesOf(plan).samples.push(...result.samples);
    // The same request without the spawn (or the specialization), so round trips are not lost
    // in its noise.
    seriesOf(plan, `${plan.scenario}-after-spawn`).samples.push(
      ...result.samples.map((ms, j) => ms - (result.spawnMs[j] ?? 0)),
    );
    bar.tick();
  };

  /** Warm every plan's workers, then measure in rounds that cycle the transports. */
  const measure = async (list: Plan[]) => {
    for (const plan of list) await request({ ...plan.job, count: 3 });
    const perRound = Math.ceil(options.samples / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const plan of list) {
        const count = Math.min(perRound, options.samples - round * perRound);
        if (count <= 0) continue;
        seriesOf(plan).samples.push(...(await request({ ...plan.job, count })).samples);
        bar.tick(count);
      }
    }
  };

  try {
    // The stem cell started when the functions were registered: loaded before anything is timed.
    await stemCellLoaded();
    await measure(single);
    await measure(chains);
    // A new process and a stem cell, interleaved.
    for (let i = 0; i < options.coldSamples; i++) {
      for (const plan of [...colds, ...stemColds]) await coldStart(plan);
    }
    await stemCellLoaded(); // the last cell taken is replaced before the sweep
    for (const rttMs of sweep) {
      await verify(rttMs);
      await measure(plans(rttMs).filter((p) => GET_TRANSPORTS.includes(p.transport)));
    }
  } finally {
    bar.finish();
  }

  const run: BenchRun = {
    command: options.command,
    startedAt,
    machine: { ...machineInfo(), testbed: testbed.backend },
    series: [...series.values()],
  };
  const { derived, targets } = judge(run, options);
  const markdown = await writeReport(run, options.out);
  await Deno.writeTextFile(
    `${options.out}/paper-tables.md`,
    `# Paper bench: tables\n\n${markdown}`,
  );
  await Deno.writeTextFile(
    `${options.out}/paper-summary.json`,
    JSON.stringify({ command: options.command, derived, targets, rttChecks }, null, 2) + "\n",
  );
  return { run, rttChecks, derived, targets, markdown };
}

/** The numbers the targets name, from one run's medians. */
function judge(run: BenchRun, options: PaperBenchOptions) {
  const rows = summaryRows(run);
  const median = (
    scenario: string,
    transport: TransportMode,
    rttMs = options.rttMs,
    chain?: number,
  ) =>
    rows.find((r) =>
      r.scenario === scenario && r.transport === transport && r.rttMs === rttMs &&
      r.chainLength === chain
    )?.median ?? NaN;
  const longest = Math.max(...options.chainLengths);
  const saving = (length: number) =>
    median("chain", "tls", options.rttMs, length) -
    median("chain", "h3-0rtt", options.rttMs, length);
  const derived = {
    "get non-continuous: h3-0rtt / tls": median("get-noncontinuous", "h3-0rtt") /
      median("get-noncontinuous", "tls"),
    "get non-continuous: h3-0rtt / tls12": median("get-noncontinuous", "h3-0rtt") /
      median("get-noncontinuous", "tls12"),
    "get non-continuous: h3-0rtt / tcp": median("get-noncontinuous", "h3-0rtt") /
      median("get-noncontinuous", "tcp"),
    "post non-continuous: h3-0rtt-idempotent (POST 1-RTT) / tls12":
      median("post-noncontinuous", "h3-0rtt-idempotent") / median("post-noncontinuous", "tls12"),
    "cold start, no session: h3-1rtt / tls12": median("cold-start", "h3-1rtt") /
      median("cold-start", "tls12"),
    "cold start after spawn: h3-1rtt - h3-0rtt, ms": median("cold-start-after-spawn", "h3-1rtt") -
      median("cold-start-after-spawn", "h3-0rtt"),
    "cold start h3-0rtt: new process - stem cell, ms": median("cold-start", "h3-0rtt") -
      median("cold-start-stem", "h3-0rtt"),
    "cold start h3-0rtt: stem cell / new process": median("cold-start-stem", "h3-0rtt") /
      median("cold-start", "h3-0rtt"),
    [`chain of ${longest}: h3-0rtt / tls`]: median("chain", "h3-0rtt", options.rttMs, longest) /
      median("chain", "tls", options.rttMs, longest),
    [`chain of ${longest}: h3-0rtt / tls12`]: median("chain", "h3-0rtt", options.rttMs, longest) /
      median("chain", "tls12", options.rttMs, longest),
    [`chain of ${longest}: h3-0rtt / tcp`]: median("chain", "h3-0rtt", options.rttMs, longest) /
      median("chain", "tcp", options.rttMs, longest),
    "chain: saving per function over tls, ms": (saving(longest) - saving(1)) / (longest - 1),
    "1 MB: h3-0rtt / tcp": median("1mb", "h3-0rtt") / median("1mb", "tcp"),
    "1 MB: h3-0rtt / tls12": median("1mb", "h3-0rtt") / median("1mb", "tls12"),
  };
  const targets = {
    "non-continuous GET: h3-0rtt <= 0.6 x tls": derived["get non-continuous: h3-0rtt / tls"] <= 0.6,
    "non-continuous GET: h3-0rtt <= 1.0 x tcp": derived["get non-continuous: h3-0rtt / tcp"] <= 1,
    "cold start: pre-seeded h3-0rtt at least one RTT faster than h3-1rtt":
      derived["cold start after spawn: h3-1rtt - h3-0rtt, ms"] >= options.rttMs,
    [`chain of ${longest}: h3-0rtt <= 0.55 x tls`]:
      derived[`chain of ${longest}: h3-0rtt / tls`] <= 0.55,
    "1 MB: h3 <= 1.2 x tcp": derived["1 MB: h3-0rtt / tcp"] <= 1.2,
  };
  return { derived, targets };
}

/** The summary `qfaas bench paper` prints. */
export function formatPaperBench(report: PaperBenchReport): string {
  const lines = [report.markdown, ""];
  for (const check of report.rttChecks) {
    lines.push(`RTT ${check.configuredMs} ms: measured ${check.measuredMs.toFixed(3)} ms`);
  }
  for (const [name, value] of Object.entries(report.derived)) {
    lines.push(`${name.padEnd(64)} ${value.toFixed(3)}`);
  }
  for (const [name, ok] of Object.entries(report.targets)) {
    lines.push(`${ok ? "PASS" : "MISS"}  ${name}`);
  }
  return lines.join("\n");
}
