/**
 * The subcommands of `qfaas bench`: each parses its options, runs one suite
 * of this room and writes its results. cli/bench.ts loads this module only
 * when `qfaas bench` runs, so the rest of the CLI never carries the
 * benchmarks, their charts (vega, vega-lite) or sharp.
 *
 * @module
 */
import { defineCommand, type SubCommandsDef } from "citty";
import { positiveInteger, rttArg } from "./_args.ts";
import {
  formatGatewayBench,
  formatH3Bench,
  formatInvokerBench,
  formatQuicBench,
  runGatewayBench,
  runH3Bench,
  runInvokerBench,
  runQuicBench,
} from "./mod.ts";
import {
  type AppBenchOptions,
  APPS,
  formatPaperBench,
  type PaperBenchOptions,
  PRESETS,
  runAppBench,
  runPaperBench,
} from "./paper/mod.ts";

/** A suite's options: a mistake there is a usage error (one line, exit 2, no stack trace). */
function parsed<Options>(suite: string, parse: () => Options): Options {
  try {
    return parse();
  } catch (error) {
    console.error(`qfaas bench ${suite}: ${(error as Error).message}`);
    Deno.exit(2);
  }
}

/** A suite's run: a failure it reports (no root, a delay off by 10%) is one line, exit 1. */
async function ran<Report>(suite: string, run: () => Promise<Report>): Promise<Report> {
  try {
    return await run();
  } catch (error) {
    console.error(`qfaas bench ${suite}: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

/** Runs one suite: parses its options, runs it, prints its table and writes its JSON. */
async function runSuite<Options, Report>(
  suite: string,
  parse: () => Options,
  run: (options: Options) => Promise<Report>,
  format: (report: Report) => string,
  out: string,
): Promise<void> {
  const options = parsed(suite, parse);
  const report = await run(options);
  console.log(format(report));
  await Deno.writeTextFile(out, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nwrote ${out}`);
}

const quic = defineCommand({
  meta: {
    name: "quic",
    description:
      "QUIC 1-RTT, minted 0-RTT and open-connection requests against HTTP/1.1 and HTTPS on loopback",
  },
  args: {
    runs: { type: "string", default: "200", description: "measured rounds per scenario" },
    "cold-runs": {
      type: "string",
      default: "20",
      description: "freshly spawned servers for the cold case",
    },
    "idle-connections": {
      type: "string",
      default: "500",
      description: "idle connections for the memory measure",
    },
    out: {
      type: "string",
      default: "docs/results/quic-bench.json",
      description: "where to write the JSON report",
    },
    only: { type: "string", description: "regular expression: run only matching scenarios" },
  },
  run: ({ args }) =>
    runSuite(
      "quic",
      () => ({
        runs: positiveInteger("runs", args.runs),
        coldRuns: positiveInteger("cold-runs", args["cold-runs"]),
        idleConnections: positiveInteger("idle-connections", args["idle-connections"]),
        only: args.only ? new RegExp(args.only) : undefined,
      }),
      runQuicBench,
      formatQuicBench,
      args.out,
    ),
});

const h3 = defineCommand({
  meta: {
    name: "h3",
    description: "HTTP/3 against HTTP/1.1 and HTTPS: small GET, 1 MB, 100 concurrent, requests/s",
  },
  args: {
    runs: { type: "string", default: "200", description: "measured rounds per scenario" },
    requests: { type: "string", default: "20000", description: "requests in the throughput run" },
    concurrency: {
      type: "string",
      default: "64",
      description: "requests in flight in the throughput run",
    },
    out: {
      type: "string",
      default: "docs/results/h3-bench.json",
      description: "where to write the JSON report",
    },
  },
  run: ({ args }) =>
    runSuite(
      "h3",
      () => ({
        runs: positiveInteger("runs", args.runs),
        requests: positiveInteger("requests", args.requests),
        concurrency: positiveInteger("concurrency", args.concurrency),
      }),
      runH3Bench,
      formatH3Bench,
      args.out,
    ),
});

/** `--runs` and `--cold-runs` of the invoker and gateway benches, checked. */
function runCounts(args: { runs: string; "cold-runs": string }) {
  return {
    runs: positiveInteger("runs", args.runs),
    coldRuns: positiveInteger("cold-runs", args["cold-runs"]),
  };
}

const invoker = defineCommand({
  meta: {
    name: "invoker",
    description:
      "Invoker → worker: warm overhead, new connections (0-RTT vs TLS), cold starts, worker memory",
  },
  args: {
    runs: { type: "string", default: "200", description: "measured rounds per scenario" },
    "cold-runs": { type: "string", default: "20", description: "cold starts to measure" },
    out: {
      type: "string",
      default: "docs/results/invoker-bench.json",
      description: "where to write the JSON report",
    },
  },
  run: ({ args }) =>
    runSuite(
      "invoker",
      () => runCounts(args),
      runInvokerBench,
      formatInvokerBench,
      args.out,
    ),
});

const gateway = defineCommand({
  meta: {
    name: "gateway",
    description:
      "qfaas dev end to end: warm requests through the gateway vs Deno.serve, first requests, start-up",
  },
  args: {
    runs: { type: "string", default: "300", description: "measured rounds per scenario" },
    "cold-runs": {
      type: "string",
      default: "10",
      description: "first requests to never-called functions, and qfaas dev starts",
    },
    out: {
      type: "string",
      default: "docs/results/gateway-bench.json",
      description: "where to write the JSON report",
    },
  },
  run: ({ args }) =>
    runSuite(
      "gateway",
      () => runCounts(args),
      runGatewayBench,
      formatGatewayBench,
      args.out,
    ),
});

const paper = defineCommand({
  meta: {
    name: "paper",
    description:
      "The QFaaS paper's §5 over emulated networks (network namespaces; needs root): tcp, tls12, tls, h3",
  },
  args: {
    quick: { type: "boolean", default: false, description: "a few samples of each (≤ 5 min)" },
    loopback: {
      type: "boolean",
      default: false,
      description: "no namespaces and no delay (RTT 0 only; no root needed): for development",
    },
    samples: { type: "string", description: "samples per series (default 100; quick 10)" },
    rtt: { type: "string", description: "round-trip time of the main scenarios, ms (default 1)" },
    out: {
      type: "string",
      default: "docs/results",
      description: "where to write paper-bench.json, the charts and paper-summary.json",
    },
  },
  async run({ args }) {
    const preset = PRESETS[args.quick ? "quick" : "full"];
    const options: PaperBenchOptions = parsed("paper", () => {
      const rttMs = rttArg(args.rtt, args.loopback, preset.rttMs);
      return {
        ...preset,
        rttMs,
        sweepMs: args.loopback
          ? [0]
          : [...new Set([...preset.sweepMs, rttMs])].sort((a, b) => a - b),
        loopback: args.loopback,
        samples: args.samples === undefined
          ? preset.samples
          : positiveInteger("samples", args.samples),
        out: args.out,
        command: ["deno task bench:paper", ...Deno.args.slice(2)].join(" "),
      };
    });
    const report = await ran("paper", () => runPaperBench(options));
    console.log(formatPaperBench(report));
    console.log(
      `\nwrote ${options.out}/paper-bench.json, paper-tables.md, paper-summary.json and the charts`,
    );
  },
});

const app = defineCommand({
  meta: {
    name: "app",
    description:
      "The paper's applications (§5.6) over the same three hosts: hello-retail, certinfo, image-resizer",
  },
  args: {
    name: {
      type: "positional",
      required: true,
      description: `the application: ${Object.keys(APPS).join(", ")}`,
    },
    samples: { type: "string", default: "100", description: "samples per request and transport" },
    rtt: { type: "string", description: "round-trip time between the hosts, ms (default 1)" },
    loopback: {
      type: "boolean",
      default: false,
      description: "no namespaces and no delay (RTT 0 only; no root needed): for development",
    },
    out: {
      type: "string",
      default: "docs/results",
      description: "where app-NAME.json, app-NAME-tables.md and apps/*.svg go",
    },
  },
  async run({ args }) {
    const options: AppBenchOptions = parsed("app", () => {
      if (!(args.name in APPS)) {
        throw new TypeError(
          `no application "${args.name}": choose one of ${Object.keys(APPS).join(", ")}`,
        );
      }
      return {
        app: args.name,
        samples: positiveInteger("samples", args.samples),
        rttMs: rttArg(args.rtt, args.loopback, 1),
        out: args.out,
        loopback: args.loopback,
        command: ["deno task qfaas bench app", ...Deno.args.slice(2)].join(" "),
      };
    });
    const report = await ran("app", () => runAppBench(options));
    console.log(report.markdown);
    console.log(
      `\nwrote ${options.out}/app-${options.app}.json, app-${options.app}-tables.md and the charts`,
    );
  },
});

/** `qfaas bench`'s subcommands, by name: quic, h3, invoker, gateway, paper and app. */
export const benchCommands: SubCommandsDef = { quic, h3, invoker, gateway, paper, app };
