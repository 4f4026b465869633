/**
 * `deno task bench:gateway` — what a user of `qfaas dev` gets, on loopback:
 * a warm request end user → gateway → worker (HTTP/1.1 keep-alive, HTTPS
 * and HTTP/3 at the edge; HTTP/3, or plain TCP for comparison, to the
 * worker) against the same handler on its own `Deno.serve`;
 * the first request to each function with its worker spawned on demand; and
 * how long `qfaas dev` takes to be ready. `qfaas dev` and the baseline run as
 * their own processes; this one is only the client.
 *
 * @module
 */
import { join } from "node:path";
import { H3Client } from "../h3/mod.ts";
import { devCa } from "../pki/mod.ts";
import { type BenchReport, formatTable, Recorder, type Scenario, timed } from "./harness.ts";
import { readLines } from "./lines.ts";
import { machineInfo } from "./machine.ts";

/** Options of `runGatewayBench`. */
export interface GatewayBenchOptions {
  /** Measured interleaved rounds (after 50 warm-up rounds). */
  runs: number;
  /** Functions whose first request is measured (each spawns its worker), and `qfaas dev` starts. */
  coldRuns: number;
}

/** What one run measured, as written to JSON. */
export interface GatewayBenchReport extends BenchReport {
  /** Derived numbers named in the targets. */
  derived: Record<string, number>;
  /** Each target of the issue and whether this run met it. */
  targets: Record<string, boolean>;
}

const ROOT = new URL("..", import.meta.url).pathname;
const ECHO = join(ROOT, "examples/functions/echo/main.ts");

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
 * TCP (to show what the HTTP/3 hop costs); and `cold` copies nobody has called.
 */
async function functionsDir(cold: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "qfaas-bench-gateway-" });
  const names = ["echo", "echo-tcp", ...Array.from({ length: cold }, (_, i) => `cold-${i + 1}`)];
  for (const name of names) {
    await Deno.mkdir(join(dir, name));
    await Deno.copyFile(ECHO, join(dir, name, "main.ts"));
  }
  await Deno.writeTextFile(join(dir, "echo-tcp", "qfaas.json"), '{ "transport": "tcp" }\n');
  return dir;
}

/** Starts `qfaas dev` on `dir` with no prewarm; returns its URLs and wall-clock time to ready. */
async function startDev(dir: string) {
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
  ]);
  const lines = await readUntil(child.process.stdout, (line) => line.startsWith("Try:"));
  const wallMs = performance.now() - started;
  const text = lines.join("\n");
  const http = /HTTP\/1\.1\s+(http:\/\/\S+)/.exec(text)?.[1];
  const https = /HTTPS\s+(https:\/\/\S+)\s+HTTP\/3 on UDP port (\d+)/.exec(text);
  const internalMs = Number(/ready in (\d+) ms/.exec(text)?.[1]);
  if (!http || !https) throw new Error(`qfaas dev printed no URLs:\n${text}`);
  return { child, wallMs, internalMs, http, https: https[1], h3Port: Number(https[2]) };
}

/** Runs the gateway benchmark; stops every process it started. */
export async function runGatewayBench(options: GatewayBenchOptions): Promise<GatewayBenchReport> {
  const recorder = new Recorder();
  const dir = await functionsDir(options.coldRuns);
  // Created here on a fresh machine (qfaas dev would create the same one); the cert is all it uses.
  const ca = await devCa();
  const https = Deno.createHttpClient({ caCerts: [ca.cert] });
  const h3 = new H3Client({ ca: ca.cert });
  try {
    // `qfaas dev` start-up, measured on fresh starts (the last one stays up).
    for (let i = 0; i < options.coldRuns - 1; i++) {
      const dev = await startDev(dir);
      recorder.record("dev_ready_wall_clock", dev.wallMs);
      recorder.record("dev_ready_reported", dev.internalMs);
      await dev.child[Symbol.asyncDispose]();
    }
    const dev = await startDev(dir);
    await using _dev = dev.child;
    recorder.record("dev_ready_wall_clock", dev.wallMs);
    recorder.record("dev_ready_reported", dev.internalMs);

    await using direct = spawn(["run", "-A", "bench/direct_server.ts", ECHO]);
    const port = JSON.parse((await readUntil(direct.process.stdout, () => true))[0]).port;

    const check = (expected: string) => async (response: Promise<Response>) => {
      const text = await (await response).text();
      if (text !== expected) throw new Error(`unexpected answer: ${JSON.stringify(text)}`);
    };
    const hello = check("GET /hello\n");
    // The gateway's connection is open before the first cold request: only the spawn counts.
    await (await fetch(`${dev.http}/healthz`)).text();
    for (let i = 1; i <= options.coldRuns; i++) {
      recorder.record(
        "first_request_spawn_included",
        await timed(() => check("GET /\n")(fetch(`${dev.http}/function/cold-${i}`))),
      );
    }

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
    const results = recorder.results();
    const median = (name: string) => results[name]?.median ?? NaN;
    const derived = {
      "warm gateway h1 / direct (interleaved)": median("gateway_h1") /
        median("direct_deno_serve_h1"),
      "warm gateway h1 / direct (back to back)": median("gateway_h1_back_to_back") /
        median("direct_deno_serve_h1_back_to_back"),
      "first request, spawn included, ms": median("first_request_spawn_included"),
      "qfaas dev ready, wall clock, ms": median("dev_ready_wall_clock"),
    };
    return {
      command: `deno task bench:gateway --runs ${options.runs} --cold-runs ${options.coldRuns}`,
      date: new Date().toISOString(),
      machine: machineInfo(),
      results,
      derived,
      targets: {
        "warm request <= 2 x direct Deno.serve (interleaved)":
          derived["warm gateway h1 / direct (interleaved)"] <= 2,
        "qfaas dev ready <= 1 s": results.dev_ready_wall_clock.p90 <= 1000,
        "first request, spawn included <= 150 ms (median)":
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
  for (const [name, ok] of Object.entries(report.targets)) {
    lines.push(`${ok ? "PASS" : "MISS"}  ${name}`);
  }
  return lines.join("\n");
}
