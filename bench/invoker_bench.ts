/**
 * `deno task bench:invoker` — the invoker and its workers on loopback: a warm
 * request through invoker → watchdog → function against calling the handler
 * in-process; a new connection per request with pre-seeded 0-RTT against a
 * new TLS 1.3 connection; cold starts (spawn included) and how many of them
 * ran 0-RTT; and the memory of an idle worker.
 *
 * @module
 */
import { Invoker } from "../invoker/mod.ts";
import { createCa } from "../pki/mod.ts";
import { MemoryStore } from "../store/mod.ts";
import { type BenchReport, formatTable, Recorder, type Scenario, timed } from "./harness.ts";
import { machineInfo } from "./machine.ts";

/** Options of `runInvokerBench`. */
export interface InvokerBenchOptions {
  /** Measured interleaved rounds (after 30 warm-up rounds). */
  runs: number;
  /** Cold starts to measure. */
  coldRuns: number;
}

/** What one run measured, as written to JSON. */
export interface InvokerBenchReport extends BenchReport {
  /** Cold first requests that went out and were accepted in 0-RTT. */
  coldZeroRtt: { accepted: number; runs: number };
  /** How many first requests to a specialized stem cell arrived in 0-RTT. */
  stemZeroRtt: { accepted: number; runs: number };
  /** An idle stem cell's memory: private (anonymous), file-backed, and proportional (PSS), MiB. */
  idleStemMemoryMiB: { rss: number; anon: number; file: number; pss: number };
  /** Resident memory of an idle Deno-module worker, MiB. */
  idleWorkerRssMiB: number;
  /** The same worker's memory split: private (anonymous), file-backed, and proportional (PSS), MiB. */
  idleWorkerMemoryMiB: { anon: number; file: number; pss: number };
  /** Derived numbers named in the targets. */
  derived: Record<string, number>;
  /** Each target of the issue and whether this run met it. */
  targets: Record<string, boolean>;
}

const MODULE = new URL("../invoker/testdata/function.ts", import.meta.url).pathname;
/** An of-watchdog http-mode upstream in Python: its process starts at specialization. */
const PYTHON_DIR = new URL("../watchdog/testdata/python", import.meta.url).pathname;
const python = (name: string) => ({
  name,
  upstream: {
    fprocess: "python3 server.py",
    upstreamUrl: "http://127.0.0.1:0",
    cwd: PYTHON_DIR,
  },
  max: 1,
});

/** A `kB` field of a /proc file, in MiB. */
function field(text: string, name: string): number {
  return Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) / 1024;
}

/**
 * A process's memory: RSS, and its parts. File-backed pages (the Deno binary,
 * the QUIC library) are shared by every worker; PSS charges each its share.
 */
function memoryMiB(pid: number): { rss: number; anon: number; file: number; pss: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  return {
    rss: field(status, "VmRSS"),
    anon: field(status, "RssAnon"),
    file: field(status, "RssFile"),
    pss: field(rollup, "Pss"),
  };
}

/** Runs the invoker benchmark with its own workers; stops them all. */
export async function runInvokerBench(options: InvokerBenchOptions): Promise<InvokerBenchReport> {
  const ca = await createCa("QFaaS bench CA");
  const store = new MemoryStore();
  const invoker = new Invoker({ ca, store });
  // Beside it, an invoker with one stem cell: cold starts on a specialized cell.
  const stems = new Invoker({ ca, store: new MemoryStore(), stemCells: 1 });
  invoker.register({ name: "warm", module: MODULE, max: 1 });
  invoker.register({ name: "fresh-h3", module: MODULE, max: 1, connection: "new" });
  invoker.register({
    name: "fresh-tls",
    module: MODULE,
    max: 1,
    transport: "tls",
    connection: "new",
  });
  invoker.register({
    name: "fresh-tcp",
    module: MODULE,
    max: 1,
    transport: "tcp",
    connection: "new",
  });
  const handler = (await import(MODULE)).default as (request: Request) => Promise<Response>;
  const call = (name: string) => async () => {
    const response = await invoker.invoke(name, new Request("http://bench/hello"));
    if ((await response.text()) !== "GET /hello") throw new Error(`unexpected answer from ${name}`);
  };
  const scenarios: Record<string, Scenario> = {
    handler_in_process: () =>
      timed(async () => (await handler(new Request("http://bench/hello"))).text()),
    invoker_warm_h3: () => timed(call("warm")),
    invoker_new_connection_h3_0rtt: () => timed(call("fresh-h3")),
    invoker_new_connection_tls: () => timed(call("fresh-tls")),
    invoker_new_connection_tcp: () => timed(call("fresh-tcp")),
  };
  const recorder = new Recorder();
  try {
    await recorder.interleave(scenarios, 30, options.runs);
    await recorder.backToBack(
      scenarios,
      ["invoker_warm_h3", "handler_in_process"],
      300,
      10 * options.runs,
    );

    // Cold starts side by side: a process started for the function, then a stem cell
    // specialized for it (once the pool has a loaded cell again).
    let accepted = 0;
    let stemAccepted = 0;
    const firstRequest = async (on: Invoker, name: string, scenario: string) => {
      let zeroRtt = "";
      recorder.record(
        scenario,
        await timed(async () => {
          const response = await on.invoke(name, new Request("http://bench/hello"));
          zeroRtt = response.headers.get("x-qfaas-0rtt") ?? "";
          await response.text();
        }),
      );
      await on.pool(name).close();
      return zeroRtt === "accepted";
    };
    for (let i = 0; i < options.coldRuns; i++) {
      const name = `cold-${i}`;
      invoker.register({ name, module: MODULE, max: 1 });
      if (await firstRequest(invoker, name, "cold_start_first_request")) accepted++;
      stems.register({ name, module: MODULE, max: 1 });
      await until(() => stems.freeStemCells === 1);
      if (await firstRequest(stems, name, "cold_start_first_request_stem")) stemAccepted++;
      // The taken cell's replacement starts now: let it finish before the next measurement.
      await until(() => stems.freeStemCells === 1);
    }
    await until(() => stems.freeStemCells === 1);
    const idleStemMemoryMiB = memoryMiB(stems.stemCellPids()[0]);
    // A Python upstream: a stem cell still starts the interpreter (in its sandbox) when specialized.
    const pythonRuns = Math.max(1, Math.floor(options.coldRuns / 2));
    for (let i = 0; i < pythonRuns; i++) {
      const name = `cold-python-${i}`;
      invoker.register(python(name));
      await firstRequest(invoker, name, "cold_start_first_request_python");
      stems.register(python(name));
      await until(() => stems.freeStemCells >= 2); // the echo class's cell and the Python one
      await firstRequest(stems, name, "cold_start_first_request_python_stem");
      await until(() => stems.freeStemCells >= 2);
    }

    await new Promise((r) => setTimeout(r, 500));
    const { rss: idleWorkerRssMiB, ...idleWorkerMemoryMiB } = memoryMiB(
      workerPid(invoker, "warm"),
    );

    const results = recorder.results();
    const median = (name: string) => results[name]?.median ?? NaN;
    const derived = {
      "warm overhead, ms (back to back)": median("invoker_warm_h3_back_to_back") -
        median("handler_in_process_back_to_back"),
      "warm overhead, ms (interleaved)": median("invoker_warm_h3") - median("handler_in_process"),
      "new connection: 0-RTT / TLS": median("invoker_new_connection_h3_0rtt") /
        median("invoker_new_connection_tls"),
    };
    return {
      command: `deno task bench:invoker --runs ${options.runs} --cold-runs ${options.coldRuns}`,
      date: new Date().toISOString(),
      machine: machineInfo(),
      results,
      coldZeroRtt: { accepted, runs: options.coldRuns },
      stemZeroRtt: { accepted: stemAccepted, runs: options.coldRuns },
      idleStemMemoryMiB,
      idleWorkerRssMiB,
      idleWorkerMemoryMiB,
      derived,
      targets: {
        "warm overhead <= 0.35 ms (back to back)":
          derived["warm overhead, ms (back to back)"] <= 0.35,
        "new connection 0-RTT <= 0.8 x new TLS connection":
          derived["new connection: 0-RTT / TLS"] <= 0.8,
        "cold first requests in 0-RTT: 100%": accepted === options.coldRuns,
        "idle worker RSS <= 60 MiB": idleWorkerRssMiB <= 60,
        "cold first request on a stem cell <= 50 ms (median)":
          median("cold_start_first_request_stem") <= 50,
        "cold first request without stem cells <= 150 ms (median)":
          median("cold_start_first_request") <= 150,
        "first requests to a specialized stem cell in 0-RTT: 100%":
          stemAccepted === options.coldRuns,
        "idle stem cell PSS <= 40 MiB": idleStemMemoryMiB.pss <= 40,
      },
    };
  } finally {
    await Promise.all([invoker.close(), stems.close()]);
  }
}

/** Polls `condition` every 10 ms (a stem cell being replaced), up to 30 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("bench invoker: no stem cell came up within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function workerPid(invoker: Invoker, name: string): number {
  return invoker.pool(name).pids()[0] ?? NaN;
}

/** Renders a report as the table `bench:invoker` prints. */
export function formatInvokerBench(report: InvokerBenchReport): string {
  const lines = [formatTable(report.results), ""];
  for (const [name, value] of Object.entries(report.derived)) {
    lines.push(`${name.padEnd(40)} ${value.toFixed(3)}`);
  }
  lines.push(
    `cold first requests in 0-RTT: ${report.coldZeroRtt.accepted}/${report.coldZeroRtt.runs}`,
    `first requests on a stem cell in 0-RTT: ${report.stemZeroRtt.accepted}/${report.stemZeroRtt.runs}`,
  );
  const stem = report.idleStemMemoryMiB;
  lines.push(
    `idle stem cell: RSS ${stem.rss.toFixed(1)} MiB (anonymous ${stem.anon.toFixed(1)}, ` +
      `file-backed ${stem.file.toFixed(1)}, PSS ${stem.pss.toFixed(1)})`,
  );
  const { anon, file, pss } = report.idleWorkerMemoryMiB;
  lines.push(
    `idle worker RSS: ${report.idleWorkerRssMiB.toFixed(1)} MiB ` +
      `(anonymous ${anon.toFixed(1)}, file-backed ${file.toFixed(1)}, PSS ${pss.toFixed(1)})`,
  );
  for (const [name, ok] of Object.entries(report.targets)) {
    lines.push(`${ok ? "PASS" : "MISS"}  ${name}`);
  }
  return lines.join("\n");
}
