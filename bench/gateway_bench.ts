/**
 * `deno task bench:gateway` — what a user of `qfaas dev` gets, on loopback:
 * a warm request end user → gateway → worker (HTTP/1.1 keep-alive, HTTPS
 * and HTTP/3 at the edge; HTTP/3, or plain TCP for comparison, to the
 * worker) against the same handler on its own `Deno.serve`;
 * the first request to a never-called function, on a gateway without stem
 * cells (a process started for it) and on one with the default stem cells (a
 * loaded cell specialized), side by side; 16 concurrent first requests to a
 * function scaled to zero, on both; and how long `qfaas dev` takes to be
 * ready. `qfaas dev` and the baseline run as their own processes; this one is
 * only the client.
 *
 * @module
 */
import { join } from "node:path";
import { H3Client } from "../h3/mod.ts";
import { devCa } from "../pki/mod.ts";
import { type BenchReport, formatTable, Recorder, type Scenario, timed } from "./harness.ts";
import { readLines } from "./lines.ts";
import { machineInfo } from "./machine.ts";
import { summarize } from "./stats.ts";
import { runWrk, WrkMissing, type WrkResult } from "./wrk.ts";

/** Options of `runGatewayBench`. */
export interface GatewayBenchOptions {
  /** Measured interleaved rounds (after 50 warm-up rounds). */
  runs: number;
  /**
   * Functions whose first request is measured (on each of the two gateways: a
   * new process, a stem cell), and `qfaas dev` starts.
   */
  coldRuns: number;
}

/** What one run measured, as written to JSON. */
export interface GatewayBenchReport extends BenchReport {
  /** Derived numbers named in the targets. */
  derived: Record<string, number>;
  /**
   * The scale-up scenario (`scaleup_16_first_responses`, `…_stem`): how its
   * responses were served, without stem cells and with them.
   */
  scaleUp:
    & {
      /** Requests sent at once per round, each on its own connection. */
      concurrent: number;
      /** Rounds per variant, each on a fresh function. */
      rounds: number;
    }
    & Record<"withoutStemCells" | "withStemCells", {
      /** Stem cells the gateway kept (0: none). */
      stemCells: number;
      /** Responses measured: rounds × concurrent requests. */
      responses: number;
      /** Responses from a process started for them. */
      newProcess: number;
      /** Responses from a stem cell specialized for them. */
      stemCell: number;
      /** Responses from a worker another request of the round had started, already idle. */
      reused: number;
      /** Times of the responses a stem cell answered, ms (in the pooled samples too). */
      stemCellMs: number[];
      /** Distinct workers that answered, per round. */
      workersPerRound: number[];
      /** From sending the requests to the end of the last body, per round, ms. */
      roundMs: number[];
    }>;
  /**
   * Throughput, end to end: wrk keeps `connections` HTTP/1.1 connections busy
   * on an echo function with one worker, reached over h3 or tcp, in
   * alternating rounds; or why it was not measured.
   */
  throughput: {
    connections: number;
    seconds: number;
    /** Each round's wrk report, per worker transport. */
    h3: WrkResult[];
    tcp: WrkResult[];
    /** The gateway process's CPU time per request (user + system), µs, per round. */
    gatewayCpuUsPerRequest: { h3: number[]; tcp: number[] };
  } | { skipped: string };
  /** Each target of the issue and whether this run met it. */
  targets: Record<string, boolean>;
}

/** One variant of the scale-up scenario, as reported. */
type ScaleUpVariant = GatewayBenchReport["scaleUp"]["withStemCells"];

const ROOT = new URL("..", import.meta.url).pathname;
const ECHO = join(ROOT, "examples/functions/echo/main.ts");
/** Stem cells the measured gateway keeps: `qfaas dev`'s default. The other gateway keeps none. */
const STEM_CELLS = 2;
/** Requests sent at once in the scale-up scenario, each on its own connection. */
const SCALE_UP = 16;
/** Rounds of the scale-up scenario per gateway, each on a function nobody has called. */
const SCALE_UP_ROUNDS = 5;
/**
 * The scale-up functions' `idle_timeout`: longer than a round (no worker is
 * reaped while others still start), short enough to wait for all of them to
 * go before the next round.
 */
const SCALE_UP_IDLE_MS = 10_000;
/** The throughput scenario's functions: echo with one worker, over h3 and over tcp. */
const THROUGHPUT_FUNCTIONS = ["throughput-h3", "throughput-tcp"];
/** wrk's connections in the throughput scenario (the issue's c=64) and the length of a round, s. */
const THROUGHPUT_CONNECTIONS = 64;
const THROUGHPUT_SECONDS = 10;
/** Rounds per transport, alternating. */
const THROUGHPUT_ROUNDS = 3;

/** CPU time (user + system) a process has used, µs, from /proc (Linux). */
async function cpuMicros(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * The throughput scenario: alternating wrk rounds against the h3 and the tcp
 * function, after a warm-up round each (which also starts their workers).
 */
async function throughput(
  dev: { http: string; child: Child },
): Promise<GatewayBenchReport["throughput"]> {
  const url = (transport: string) => `${dev.http}/function/throughput-${transport}/hello`;
  const run = (transport: string, seconds: number) =>
    runWrk(url(transport), { connections: THROUGHPUT_CONNECTIONS, seconds });
  try {
    for (const transport of ["h3", "tcp"]) await run(transport, 3);
  } catch (error) {
    if (error instanceof WrkMissing) return { skipped: error.message };
    throw error;
  }
  const result = {
    connections: THROUGHPUT_CONNECTIONS,
    seconds: THROUGHPUT_SECONDS,
    h3: [] as WrkResult[],
    tcp: [] as WrkResult[],
    gatewayCpuUsPerRequest: { h3: [] as number[], tcp: [] as number[] },
  };
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    const order = round % 2 === 0 ? ["h3", "tcp"] as const : ["tcp", "h3"] as const;
    for (const transport of order) {
      const before = await cpuMicros(dev.child.process.pid);
      const report = await run(transport, THROUGHPUT_SECONDS);
      const used = await cpuMicros(dev.child.process.pid) - before;
      result[transport].push(report);
      result.gatewayCpuUsPerRequest[transport].push(used / report.requests);
    }
  }
  return result;
}

/** The body echo answers to a GET of a function's root. */
const ROOT_ANSWER = "GET /\n";

/** A child process that printed what the bench needs from its stdout; killed on dispose. */
interface Child extends AsyncDisposable {
  process: Deno.ChildProcess;
}

function spawn(args: string[]): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  return {
    process,
    async [Symbol.asyncDispose]() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      await process.status;
    },
  };
}

/** Reads lines from `stream` until `done(line)` is true; keeps draining the rest. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  done: (line: string) => boolean,
): Promise<string[]> {
  const lines: string[] = [];
  const iterator = readLines(stream);
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new Error(`process ended before it was ready:\n${lines.join("\n")}`);
    lines.push(next.value);
    if (done(next.value)) {
      (async () => {
        for await (const _ of iterator) { /* the rest is worker logs */ }
      })();
      return lines;
    }
  }
}

/**
 * A functions directory: echo; echo-tcp, the same handler reached over plain
 * TCP (to show what the HTTP/3 hop costs); `cold` copies nobody has called;
 * and `scale` copies that scale from zero to 16 workers. None has a deno.json
 * of its own and none changes its grant or memory, so all share one class of
 * stem cells (`runGatewayBench` checks it).
 */
async function functionsDir(cold: number, scale: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "qfaas-bench-gateway-" });
  const copies = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  const all = ["echo", "echo-tcp", ...THROUGHPUT_FUNCTIONS, ...copies("cold", cold)];
  for (const name of [...all, ...copies("scale", scale)]) {
    await Deno.mkdir(join(dir, name));
    await Deno.copyFile(ECHO, join(dir, name, "main.ts"));
  }
  await Deno.writeTextFile(join(dir, "echo-tcp", "qfaas.json"), '{ "transport": "tcp" }\n');
  for (const transport of ["h3", "tcp"]) {
    // One worker each, alike but for the hop: the throughput compares the transports.
    await Deno.writeTextFile(
      join(dir, `throughput-${transport}`, "qfaas.json"),
      JSON.stringify({ min: 1, max: 1, transport }) + "\n",
    );
  }
  for (const name of copies("scale", scale)) {
    await Deno.writeTextFile(
      join(dir, name, "qfaas.json"),
      JSON.stringify({ min: 0, max: SCALE_UP, idle_timeout: `${SCALE_UP_IDLE_MS / 1000}s` }) + "\n",
    );
  }
  return dir;
}

/**
 * Starts `qfaas dev` on `dir` with no prewarm (no function has a worker until
 * it is called) and `stemCells` stem cells; returns its URLs and wall-clock
 * time to ready.
 */
async function startDev(dir: string, stemCells: number) {
  const started = performance.now();
  const child = spawn([
    "run",
    "-A",
    "main.ts",
    "dev",
    dir,
    "--port",
    "0",
    "--https-port",
    "0",
    "--no-watch",
    "--no-prewarm",
    "--stem-cells",
    String(stemCells),
  ]);
  const lines = await readUntil(child.process.stdout, (line) => line.startsWith("Try:"));
  const wallMs = performance.now() - started;
  const text = lines.join("\n");
  const http = /HTTP\/1\.1\s+(http:\/\/\S+)/.exec(text)?.[1];
  const https = /HTTPS\s+(https:\/\/\S+)\s+HTTP\/3 on UDP port (\d+)/.exec(text);
  const internalMs = Number(/ready in (\d+) ms/.exec(text)?.[1]);
  if (!http || !https) throw new Error(`qfaas dev printed no URLs:\n${text}`);
  return {
    child,
    stemCells,
    wallMs,
    internalMs,
    http,
    https: https[1],
    h3Port: Number(https[2]),
  };
}

/** A running `qfaas dev`. */
type Dev = Awaited<ReturnType<typeof startDev>>;

/** One series of a gateway's /metrics: `qfaas_stem_cells`, `qfaas_workers{function="x"}`. */
async function metric(dev: Dev, series: string): Promise<number> {
  const text = await (await fetch(`${dev.http}/metrics`)).text();
  const line = text.split("\n").find((line) => line.startsWith(`${series} `));
  if (line === undefined) throw new Error(`${dev.http}/metrics has no series ${series}`);
  return Number(line.slice(series.length + 1));
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`, saying what it waited for. */
async function until(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!await condition()) {
    if (performance.now() > deadline) {
      throw new Error(`bench gateway: waited ${timeoutMs / 1000} s for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until `dev` keeps all its stem cells loaded: none taken and none
 * starting (a taken cell's replacement is in the pool), so that no process
 * starts in the background during the next measurement.
 */
function stemCellsLoaded(dev: Dev): Promise<void> {
  return until(
    `${dev.http} to have its ${dev.stemCells} stem cells loaded`,
    async () => await metric(dev, "qfaas_stem_cells") === dev.stemCells,
  );
}

/** Live workers of `name` on `dev`. */
function workers(dev: Dev, name: string): Promise<number> {
  return metric(dev, `qfaas_workers{function="${name}"}`);
}

/** One first request as the client saw it, and which worker answered how. */
interface FirstAnswer {
  /** From sending it to the end of the body, ms. */
  ms: number;
  /** The worker was started for this request (`x-qfaas-cold-start`). */
  cold: boolean;
  /** The worker's name (`x-qfaas-worker`). */
  worker: string;
}

/**
 * A worker made from a stem cell keeps the cell's name, `stem-<pid>-<n>`; a
 * process started for a function is named after the function
 * (invoker/worker_process.ts).
 */
const fromStemCell = (answer: FirstAnswer) => answer.worker.startsWith("stem-");

/** GETs a function's root, checks the answer and times it, body included. */
async function firstRequest(url: string, client?: Deno.HttpClient): Promise<FirstAnswer> {
  const started = performance.now();
  const response = await fetch(url, client ? { client } : {});
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200 || text !== ROOT_ANSWER) {
    throw new Error(`unexpected answer from ${url}: ${response.status} ${JSON.stringify(text)}`);
  }
  return {
    ms,
    cold: response.headers.get("x-qfaas-cold-start") === "1",
    worker: response.headers.get("x-qfaas-worker") ?? "",
  };
}

/**
 * Checks that the generated functions share one class of stem cells:
 * `qfaas_stem_cells` counts the free cells of every class, so with a second
 * class it would settle at twice `stemCells`. (Each stem measurement also
 * checks that a stem cell answered it.)
 */
async function expectOneClass(dev: Dev): Promise<void> {
  await stemCellsLoaded(dev);
  // Cells of another class would have started with these: give them time to load.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const free = await metric(dev, "qfaas_stem_cells");
  if (free !== dev.stemCells) {
    throw new Error(
      `bench gateway: ${free} free stem cells on ${dev.http}, expected ${dev.stemCells}: ` +
        "the generated functions fall in more than one class",
    );
  }
}

/**
 * Before a first request to `name` on `dev`: the stem-cell gateway `stem` has
 * all its cells loaded (no cell starts in the background during the
 * measurement), and `name` has no worker on `dev` (nobody called it).
 */
async function beforeFirstRequest(stem: Dev, dev: Dev, name: string): Promise<void> {
  await stemCellsLoaded(stem);
  const live = await workers(dev, name);
  if (live !== 0) {
    throw new Error(
      `bench gateway: ${name} has ${live} worker(s) on ${dev.http} before it was called`,
    );
  }
}

/** Checks that a first request started a worker, from a stem cell exactly when `dev` keeps them. */
function expectStarted(dev: Dev, name: string, answer: FirstAnswer): void {
  if (!answer.cold) {
    throw new Error(`bench gateway: the first request to ${name} on ${dev.http} started no worker`);
  }
  if (fromStemCell(answer) !== dev.stemCells > 0) {
    throw new Error(
      `bench gateway: the first request to ${name} on ${dev.http} (${dev.stemCells} stem cells, ` +
        `all loaded) was answered by worker ${answer.worker}`,
    );
  }
}

/**
 * One round of the scale-up scenario: `SCALE_UP` first requests to `name` at
 * once, each on its own connection (opened before, so only the scale-up
 * counts). Each time runs from its send to the end of its body.
 */
async function scaleUpRound(
  dev: Dev,
  name: string,
): Promise<{ answers: FirstAnswer[]; ms: number }> {
  const clients = Array.from({ length: SCALE_UP }, () => Deno.createHttpClient({}));
  try {
    await Promise.all(
      clients.map(async (client) => (await fetch(`${dev.http}/healthz`, { client })).text()),
    );
    const url = `${dev.http}/function/${name}`;
    const started = performance.now();
    const answers = await Promise.all(clients.map((client) => firstRequest(url, client)));
    return { answers, ms: performance.now() - started };
  } finally {
    for (const client of clients) client.close();
  }
}

/** Runs the gateway benchmark; stops every process it started. */
export async function runGatewayBench(options: GatewayBenchOptions): Promise<GatewayBenchReport> {
  const recorder = new Recorder();
  const dir = await functionsDir(options.coldRuns, SCALE_UP_ROUNDS);
  // Created here on a fresh machine (qfaas dev would create the same one); the cert is all it uses.
  const ca = await devCa();
  const https = Deno.createHttpClient({ caCerts: [ca.cert] });
  const h3 = new H3Client({ ca: ca.cert });
  try {
    // `qfaas dev` start-up, measured on fresh starts (the last one stays up).
    for (let i = 0; i < options.coldRuns - 1; i++) {
      const dev = await startDev(dir, STEM_CELLS);
      recorder.record("dev_ready_wall_clock", dev.wallMs);
      recorder.record("dev_ready_reported", dev.internalMs);
      await dev.child[Symbol.asyncDispose]();
    }
    const dev = await startDev(dir, STEM_CELLS);
    await using _dev = dev.child;
    recorder.record("dev_ready_wall_clock", dev.wallMs);
    recorder.record("dev_ready_reported", dev.internalMs);

    const variant = (stemCells: number): ScaleUpVariant => ({
      stemCells,
      responses: 0,
      newProcess: 0,
      stemCell: 0,
      reused: 0,
      stemCellMs: [],
      workersPerRound: [],
      roundMs: [],
    });
    const scaleUp: GatewayBenchReport["scaleUp"] = {
      concurrent: SCALE_UP,
      rounds: SCALE_UP_ROUNDS,
      withoutStemCells: variant(0),
      withStemCells: variant(STEM_CELLS),
    };
    {
      // Beside it, a gateway without stem cells on the same functions: a first request
      // starts a process. Both stay up through the side-by-side loops, which alternate
      // between them, so both variants see the same machine.
      const plain = await startDev(dir, 0);
      await using _plain = plain.child;
      await expectOneClass(dev);
      const variants = [
        { dev: plain, first: "first_request_spawn_included", scale: scaleUp.withoutStemCells },
        { dev, first: "first_request_stem", scale: scaleUp.withStemCells },
      ];
      const order = (i: number) => i % 2 === 1 ? variants : [...variants].reverse();

      // The first request to a never-called function. The client's connection to each
      // gateway is open (it read /metrics just before): only the worker's start counts.
      for (let i = 1; i <= options.coldRuns; i++) {
        for (const v of order(i)) {
          const name = `cold-${i}`;
          await beforeFirstRequest(dev, v.dev, name);
          const answer = await firstRequest(`${v.dev.http}/function/${name}`);
          expectStarted(v.dev, name, answer);
          recorder.record(v.first, answer.ms);
        }
      }

      // Scale-up under load: SCALE_UP first requests at once to a function at min 0.
      for (let round = 1; round <= SCALE_UP_ROUNDS; round++) {
        for (const v of order(round)) {
          const name = `scale-${round}`;
          await beforeFirstRequest(dev, v.dev, name);
          const { answers, ms } = await scaleUpRound(v.dev, name);
          const ends = answers.map((a) => a.ms);
          // A worker is reaped idle_timeout after its own response: none may go before the last.
          if (Math.max(...ends) - Math.min(...ends) >= SCALE_UP_IDLE_MS) {
            throw new Error(
              `bench gateway: a scale-up round outlasted the idle timeout (${ms.toFixed(0)} ms)`,
            );
          }
          for (const answer of answers) {
            recorder.record(
              v.dev.stemCells > 0
                ? "scaleup_16_first_responses_stem"
                : "scaleup_16_first_responses",
              answer.ms,
            );
            if (!answer.cold) v.scale.reused++;
            else if (fromStemCell(answer)) {
              v.scale.stemCell++;
              v.scale.stemCellMs.push(answer.ms);
            } else v.scale.newProcess++;
          }
          v.scale.responses += answers.length;
          v.scale.workersPerRound.push(new Set(answers.map((a) => a.worker)).size);
          v.scale.roundMs.push(ms);
          // Its workers stop once idle past the timeout: wait, so that their exits (and
          // the replaced stem cells' starts) overlap no later measurement.
          await until(
            `the workers of ${name} on ${v.dev.http} to be reaped`,
            async () => await workers(v.dev, name) === 0,
            SCALE_UP_IDLE_MS + 30_000,
          );
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      await stemCellsLoaded(dev);
    } // The gateway without stem cells stops: the warm scenarios run on one gateway, as before.

    await using direct = spawn(["run", "-A", "bench/direct_server.ts", ECHO]);
    const port = JSON.parse((await readUntil(direct.process.stdout, () => true))[0]).port;

    const check = (expected: string) => async (response: Promise<Response>) => {
      const text = await (await response).text();
      if (text !== expected) throw new Error(`unexpected answer: ${JSON.stringify(text)}`);
    };
    const hello = check("GET /hello\n");

    const scenarios: Record<string, Scenario> = {
      direct_deno_serve_h1: () => timed(() => hello(fetch(`http://127.0.0.1:${port}/hello`))),
      gateway_h1: () => timed(() => hello(fetch(`${dev.http}/function/echo/hello`))),
      gateway_h1_worker_tcp: () => timed(() => hello(fetch(`${dev.http}/function/echo-tcp/hello`))),
      gateway_https: () =>
        timed(() => hello(fetch(`${dev.https}/function/echo/hello`, { client: https }))),
      gateway_h3: () =>
        timed(() => hello(h3.fetch(`https://localhost:${dev.h3Port}/function/echo/hello`))),
    };
    await recorder.interleave(scenarios, 50, options.runs);
    await recorder.backToBack(
      scenarios,
      ["gateway_h1", "gateway_h1_worker_tcp", "direct_deno_serve_h1"],
      200,
      5 * options.runs,
    );
    // Last: its load leaves nothing behind for the latency scenarios above.
    const load = await throughput(dev);
    const results = recorder.results();
    const median = (name: string) => results[name]?.median ?? NaN;
    const derived: Record<string, number> = {
      "warm gateway h1 / direct (interleaved)": median("gateway_h1") /
        median("direct_deno_serve_h1"),
      "warm gateway h1 / direct (back to back)": median("gateway_h1_back_to_back") /
        median("direct_deno_serve_h1_back_to_back"),
      "first request, spawn included, ms": median("first_request_spawn_included"),
      "first request, stem cell, ms": median("first_request_stem"),
      "qfaas dev ready, wall clock, ms": median("dev_ready_wall_clock"),
    };
    const measured = "skipped" in load ? null : load;
    if (measured) {
      const rps = (runs: WrkResult[]) => summarize(runs.map((run) => run.rps)).median;
      derived["throughput, h3 workers, req/s (median of rounds)"] = rps(measured.h3);
      derived["throughput, tcp workers, req/s (median of rounds)"] = rps(measured.tcp);
      derived["throughput h3 / tcp"] = rps(measured.h3) / rps(measured.tcp);
    }
    const errors = measured
      ? [...measured.h3, ...measured.tcp].reduce((sum, run) => sum + run.errors, 0)
      : NaN;
    return {
      command: `deno task bench:gateway --runs ${options.runs} --cold-runs ${options.coldRuns}`,
      date: new Date().toISOString(),
      machine: machineInfo(),
      results,
      derived,
      scaleUp,
      throughput: load,
      targets: {
        "throughput with h3 workers >= 10,000 req/s (c=64, median)":
          (derived["throughput, h3 workers, req/s (median of rounds)"] ?? 0) >= 10_000,
        "throughput with h3 workers >= 1.0 x tcp workers":
          (derived["throughput h3 / tcp"] ?? 0) >= 1,
        "throughput: 0 errors": errors === 0,
        "warm request <= 2 x direct Deno.serve (interleaved)":
          derived["warm gateway h1 / direct (interleaved)"] <= 2,
        "qfaas dev ready <= 1 s": results.dev_ready_wall_clock.p90 <= 1000,
        "first request with a stem cell <= 50 ms (median)":
          derived["first request, stem cell, ms"] <= 50,
        "first request without stem cells <= 150 ms (median)":
          derived["first request, spawn included, ms"] <= 150,
      },
    };
  } finally {
    https.close();
    await h3.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Renders a report as the table `bench:gateway` prints. */
export function formatGatewayBench(report: GatewayBenchReport): string {
  const lines = [formatTable(report.results), ""];
  for (const [name, value] of Object.entries(report.derived)) {
    lines.push(`${name.padEnd(42)} ${value.toFixed(3)}`);
  }
  const { concurrent, rounds, withoutStemCells, withStemCells } = report.scaleUp;
  const list = (values: number[]) => values.map((ms) => ms.toFixed(0)).join(" ");
  lines.push(`scale-up, ${concurrent} first requests at once, ${rounds} rounds:`);
  for (const v of [withoutStemCells, withStemCells]) {
    lines.push(
      `  ${v.stemCells} stem cells: of ${v.responses} responses, ${v.newProcess} from a new ` +
        `process, ${v.stemCell} from a stem cell${
          v.stemCell > 0 ? ` (${list(v.stemCellMs)} ms)` : ""
        }, ${v.reused} from a worker started for another; workers per round ` +
        `${v.workersPerRound.join(" ")}; rounds ${list(v.roundMs)} ms`,
    );
  }
  if ("skipped" in report.throughput) {
    lines.push(`throughput: not measured: ${report.throughput.skipped}`);
  } else {
    const t = report.throughput;
    for (const transport of ["h3", "tcp"] as const) {
      lines.push(
        `throughput, ${transport} workers, c=${t.connections}, ${t.seconds} s rounds: ` +
          t[transport].map((run) =>
            `${run.rps.toFixed(0)} req/s (p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ` +
            `${run.latencyMs.p99.toFixed(1)} ms, ${run.errors} errors)`
          ).join("; ") +
          `; gateway CPU ${
            t.gatewayCpuUsPerRequest[transport].map((us) => us.toFixed(0)).join(" ")
          } µs/request`,
      );
    }
  }
  for (const [name, ok] of Object.entries(report.targets)) {
    lines.push(`${ok ? "PASS" : "MISS"}  ${name}`);
  }
  return lines.join("\n");
}
