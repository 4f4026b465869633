/**
 * `qfaas bench app NAME`: the paper's application figures (§5.6) for
 * Hello, Retail!, Cert Info and Image Resizer. The same three hosts as
 * `qfaas bench paper` (and, for Cert Info, a fourth with the TLS host it
 * probes); for each transport a gateway serves the application unchanged,
 * its chains calling back over that same transport (a tls12 gateway's HTTPS
 * speaks only TLS 1.2), and the end user times each of the application's
 * requests.
 *
 * @module
 */
import { machineInfo } from "../machine.ts";
import {
  type BenchRun,
  ProgressBar,
  type Series,
  TRANSPORT_MODES,
  type TransportMode,
  writeReport,
} from "../report/mod.ts";
import { type AppPlan, APPS } from "./apps.ts";
import type { ClientJob, ClientResult } from "./client_node.ts";
import type { GatewayNodeConfig, GatewayNodeReady } from "./gateway_node.ts";
import { benchHosts, deno } from "./hosts.ts";
import { LineProcess } from "./json_lines.ts";
import type { OriginReady } from "./tls_host.ts";

/** Options of `runAppBench`. */
export interface AppBenchOptions {
  /** The application: a key of `APPS`. */
  app: string;
  /** Samples per request and transport. */
  samples: number;
  /** Round-trip time between the hosts, ms. */
  rttMs: number;
  /** Where to write `app-NAME.json`, `app-NAME-tables.md` and `apps/*.svg`. */
  out: string;
  /** The command line that reproduces this run. */
  command: string;
  /** No namespaces and no delay (development). */
  loopback?: boolean;
}

/** What a run produced. */
export interface AppBenchReport {
  /** Every series' raw samples. */
  run: BenchRun;
  /** Measured RTT medians before measuring, ms. */
  rttMeasured: number[];
  /** Tables and chart links (also written to `app-NAME-tables.md`). */
  markdown: string;
}

const WARM_UP = 3;
/** Rounds that cycle the transports (as in `qfaas bench paper`). */
const ROUNDS = 5;

/** Runs one application's benchmark; everything it creates is removed when it ends. */
export async function runAppBench(options: AppBenchOptions): Promise<AppBenchReport> {
  const plan: AppPlan | undefined = APPS[options.app];
  if (!plan) {
    throw new TypeError(
      `no application "${options.app}": choose one of ${Object.keys(APPS).join(", ")}`,
    );
  }
  const startedAt = new Date().toISOString();
  await using hosts = await benchHosts(
    options.rttMs,
    options.loopback ?? false,
    plan.origin ? ["origin"] : [],
  );
  await hosts.setRtt(options.rttMs);
  const rttMeasured = (await hosts.verify(0.1)).map((check) => check.median);
  await using originHost = plan.origin
    ? await LineProcess.start<OriginReady>(
      [...hosts.command("origin"), ...deno("bench/paper/tls_host.ts")],
      { QFAAS_BENCH_ORIGIN: JSON.stringify({ hostname: hosts.hosts.origin.address }) },
      "origin",
    )
    : null;
  const origin = originHost?.ready;
  await using client = await LineProcess.start<{ ready: true }>(
    [...hosts.command("user"), ...deno("bench/paper/client_node.ts")],
    {},
    "end-user",
  );
  const request = async (job: ClientJob): Promise<ClientResult> => {
    const result = await client.request<ClientResult>(job);
    if (result.error) throw new Error(`The end user's requests failed: ${result.error}`);
    return result;
  };
  const bar = new ProgressBar(
    `qfaas bench app ${options.app}`,
    TRANSPORT_MODES.length * plan.operations.length * options.samples,
  );
  const series: Series[] = [];
  // One gateway per transport, all up at once, so that rounds can cycle the
  // transports and drift lands on all of them alike. All five: h3-0rtt-idempotent
  // is the paper's "POST 1-RTT" for the POST functions.
  await using stack = new AsyncDisposableStack();
  const gateways: { transport: TransportMode; ready: GatewayNodeReady }[] = [];
  for (const transport of TRANSPORT_MODES) {
    const scratch = await Deno.makeTempDir({ prefix: `qfaas-app-${options.app}-` });
    stack.defer(() => Deno.remove(scratch, { recursive: true }));
    await plan.prepare?.(scratch, options.samples);
    const config: GatewayNodeConfig = {
      hostname: hosts.hosts.gateway.address,
      workers: options.loopback
        ? null
        : { prefix: hosts.command("workers"), address: hosts.hosts.workers.address },
      app: {
        dir: plan.dir,
        transport,
        env: plan.env?.(scratch, origin),
        writable: plan.writesScratch ? [scratch] : [],
        files: plan.servesScratch ? scratch : undefined,
      },
    };
    const gateway = stack.use(
      await LineProcess.start<GatewayNodeReady>(
        [...hosts.command("gateway"), ...deno("bench/paper/gateway_node.ts")],
        { QFAAS_BENCH_GATEWAY: JSON.stringify(config) },
        "gateway",
      ),
    );
    for (const { job, count } of plan.seed?.(gateway.ready, options.samples) ?? []) {
      await request({ ...job, count, start: 0 });
    }
    gateways.push({ transport, ready: gateway.ready });
  }
  const perRound = Math.ceil(options.samples / ROUNDS);
  try {
    for (const operation of plan.operations) {
      const measured = gateways.map(({ transport, ready }) => {
        const entry: Series = {
          scenario: operation.scenario,
          transport,
          rttMs: options.rttMs,
          samples: [],
        };
        series.push(entry);
        return { job: operation.job(ready, origin), entry };
      });
      for (const { job } of measured) await request({ ...job, count: WARM_UP, start: 0 });
      for (let round = 0; round < ROUNDS; round++) {
        const count = Math.min(perRound, options.samples - round * perRound);
        if (count <= 0) break;
        for (const { job, entry } of measured) {
          const start = WARM_UP + round * perRound;
          entry.samples.push(...(await request({ ...job, count, start })).samples);
          bar.tick(count);
        }
      }
    }
  } finally {
    bar.finish();
  }
  const run: BenchRun = {
    command: options.command,
    startedAt,
    machine: { ...machineInfo(), testbed: hosts.backend, rttMeasured },
    series,
  };
  const markdown = await writeReport(run, options.out, {
    samplesFile: `app-${options.app}.json`,
    chartsDir: "apps",
  });
  await Deno.writeTextFile(
    `${options.out}/app-${options.app}-tables.md`,
    `# ${options.app}: tables\n\n${markdown}`,
  );
  return { run, rttMeasured, markdown };
}
