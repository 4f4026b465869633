/**
 * `deno task bench:h3` — HTTP/3 (ours) against HTTP/1.1 and HTTPS (Deno.serve
 * and fetch) on loopback, one handler behind all three: a small GET on an open
 * connection, a 1 MB response, 100 concurrent requests, and requests per
 * second on one connection.
 *
 * @module
 */
import { H3Client } from "../h3/mod.ts";
import { spawnServer, trustDomain } from "../quic/testing.ts";
import {
  type BenchReport,
  formatTable,
  Recorder,
  type Scenario,
  timed,
  warmLargeAllocations,
} from "./harness.ts";
import { machineInfo } from "./machine.ts";
import { quantile } from "./stats.ts";

/** Options of `runH3Bench`. */
export interface H3BenchOptions {
  /** Measured interleaved rounds per scenario (after 30 warm-up rounds). */
  runs: number;
  /** Requests in each throughput run (one warm-up run, then three; the median counts). */
  requests: number;
  /** Requests in flight at once in the throughput run. */
  concurrency: number;
}

/** What one run measured, as written to JSON. */
export interface H3BenchReport extends BenchReport {
  /** 100 concurrent requests on one connection: how many completed, and the wall time. */
  concurrent: { completed: number; ms: number };
  /** Requests per second on one HTTP/3 connection from this process: the median of three runs. */
  throughput: {
    requests: number;
    concurrency: number;
    seconds: number;
    perSecond: number;
    /** Every run's rate, slowest first. */
    runs: number[];
  };
  /** Ratios of medians named in the targets. */
  ratios: Record<string, number>;
  /** Each target of the issue and whether this run met it. */
  targets: Record<string, boolean>;
}

const MEGABYTE = 1024 * 1024;

/** Runs the HTTP/3 benchmark against a freshly spawned server process. */
export async function runH3Bench(options: H3BenchOptions): Promise<H3BenchReport> {
  const domain = await trustDomain("QFaaS bench CA");
  const server = await spawnServer(domain, crypto.getRandomValues(new Uint8Array(48)), {
    script: new URL("./h3_bench_server.ts", import.meta.url),
  });
  const h3 = new H3Client({ ca: domain.ca.cert });
  const http = Deno.createHttpClient({ http2: false });
  const https = Deno.createHttpClient({ caCerts: [domain.ca.cert], http2: false });
  const urls = {
    h3: `https://localhost:${server.port}`,
    http: `http://127.0.0.1:${server.http}`,
    https: `https://localhost:${server.https}`,
  };
  const expect = async (response: Response, bytes: number) => {
    const body = await response.arrayBuffer();
    if (body.byteLength !== bytes) {
      throw new Error(`expected ${bytes} bytes, got ${body.byteLength}`);
    }
  };
  const scenarios: Record<string, Scenario> = {
    get_h3_open: () => timed(async () => expect(await h3.fetch(`${urls.h3}/`), 2)),
    get_http1_keepalive: () =>
      timed(async () => expect(await fetch(`${urls.http}/`, { client: http }), 2)),
    get_https_keepalive: () =>
      timed(async () => expect(await fetch(`${urls.https}/`, { client: https }), 2)),
    mb_h3: () =>
      timed(async () => expect(await h3.fetch(`${urls.h3}/bytes/${MEGABYTE}`), MEGABYTE)),
    mb_http1_keepalive: () =>
      timed(async () =>
        expect(await fetch(`${urls.http}/bytes/${MEGABYTE}`, { client: http }), MEGABYTE)
      ),
    mb_https_keepalive: () =>
      timed(async () =>
        expect(await fetch(`${urls.https}/bytes/${MEGABYTE}`, { client: https }), MEGABYTE)
      ),
  };
  const recorder = new Recorder();
  warmLargeAllocations();
  try {
    await recorder.interleave(scenarios, 30, options.runs);
    await recorder.backToBack(
      scenarios,
      ["get_h3_open", "get_http1_keepalive"],
      300,
      10 * options.runs,
    );

    let completed = 0;
    const concurrentMs = await timed(() =>
      Promise.all(Array.from({ length: 100 }, async () => {
        await expect(await h3.fetch(`${urls.h3}/`), 2);
        completed++;
      }))
    );

    const throughputRun = (requests: number) => {
      let next = 0;
      return timed(() =>
        Promise.all(Array.from({ length: options.concurrency }, async () => {
          while (next++ < requests) await expect(await h3.fetch(`${urls.h3}/`), 2);
        }))
      );
    };
    // One unrecorded run warms the concurrent path; the median of three counts.
    await throughputRun(Math.min(options.requests, 2000));
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      rates.push(options.requests / ((await throughputRun(options.requests)) / 1000));
    }
    rates.sort((a, b) => a - b);
    const perSecond = quantile(rates, 0.5);

    const results = recorder.results();
    const median = (name: string) => results[name]?.median ?? NaN;
    const ratios = {
      "get h3 / http1 (interleaved)": median("get_h3_open") / median("get_http1_keepalive"),
      "get h3 / http1 (back to back)": median("get_h3_open_back_to_back") /
        median("get_http1_keepalive_back_to_back"),
      "1 MB h3 / https": median("mb_h3") / median("mb_https_keepalive"),
    };
    return {
      command:
        `deno task bench:h3 --runs ${options.runs} --requests ${options.requests} --concurrency ${options.concurrency}`,
      date: new Date().toISOString(),
      machine: machineInfo(),
      results,
      concurrent: { completed, ms: concurrentMs },
      throughput: {
        requests: options.requests,
        concurrency: options.concurrency,
        seconds: options.requests / perSecond,
        perSecond,
        runs: rates,
      },
      ratios,
      targets: {
        "small GET <= 1.5 x HTTP/1.1 keep-alive (interleaved)":
          ratios["get h3 / http1 (interleaved)"] <= 1.5,
        "small GET <= 1.5 x HTTP/1.1 keep-alive (back to back)":
          ratios["get h3 / http1 (back to back)"] <= 1.5,
        "1 MB <= 1.5 x HTTPS": ratios["1 MB h3 / https"] <= 1.5,
        "100 concurrent requests all complete": completed === 100,
        ">= 5,000 requests/s on one connection": perSecond >= 5000,
      },
    };
  } finally {
    await h3.close();
    http.close();
    https.close();
    await server.stop();
  }
}

/** Renders a report as the table `bench:h3` prints. */
export function formatH3Bench(report: H3BenchReport): string {
  const lines = [formatTable(report.results), ""];
  for (const [name, value] of Object.entries(report.ratios)) {
    lines.push(`${name.padEnd(32)} ${value.toFixed(3)}`);
  }
  lines.push(
    `100 concurrent requests: ${report.concurrent.completed}/100 in ${
      report.concurrent.ms.toFixed(1)
    } ms`,
  );
  const t = report.throughput;
  lines.push(
    `throughput: ${t.perSecond.toFixed(0)} requests/s, median of ${
      t.runs.map((r) => r.toFixed(0)).join(" / ")
    } (${t.requests} requests each, ${t.concurrency} in flight, one connection)`,
  );
  for (const [name, ok] of Object.entries(report.targets)) {
    lines.push(`${ok ? "PASS" : "MISS"}  ${name}`);
  }
  return lines.join("\n");
}
