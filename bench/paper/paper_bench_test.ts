// `qfaas bench paper --quick`, for real, as CI's smoke test: namespaces, the
// delay line, the gateway and end-user processes, workers on their own host.
// It asserts only that the run happens, checks its delay and writes its results.
import assert from "node:assert/strict";
import { listNamespaces } from "../testbed/mod.ts";
import { TRANSPORT_MODES } from "../report/mod.ts";
import { GET_TRANSPORTS, NAMESPACE_PREFIX } from "./mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test("paper bench: --quick runs over three namespaces, checks its delay, measures every scenario and writes results", async () => {
  assert.equal(
    Deno.uid(),
    0,
    "the paper bench needs root (network namespaces): run the tests as root",
  );
  const out = await Deno.makeTempDir({ prefix: "qfaas-paper-test-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "bench", "paper", "--quick", "--out", out],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, `qfaas bench paper --quick failed:\n${stderr.slice(-3000)}`);

    const summary = JSON.parse(await Deno.readTextFile(`${out}/paper-summary.json`));
    assert.ok(summary.rttChecks.length > 0, "the delay was measured");
    for (const check of summary.rttChecks) {
      const allowed = check.configuredMs === 0 ? 0.3 : 0.1 * check.configuredMs;
      assert.ok(
        Math.abs(check.measuredMs - check.configuredMs) <= allowed,
        `RTT ${check.configuredMs} ms measured ${check.measuredMs} ms`,
      );
    }
    const samples = JSON.parse(await Deno.readTextFile(`${out}/paper-bench.json`));
    const scenarios = new Set(samples.series.map((s: { scenario: string }) => s.scenario));
    for (
      const name of [
        "get-noncontinuous",
        "post-noncontinuous",
        "continuous",
        "1mb",
        "chain",
        "cold-start",
        "cold-start-after-spawn",
        "cold-start-stem",
        "cold-start-stem-after-spawn",
      ]
    ) assert.ok(scenarios.has(name), `measured ${name}`);
    // Every transport, the TLS 1.2 baseline's second gateway included, in GETs and chains.
    for (const scenario of ["get-noncontinuous", "chain"]) {
      const measured = new Set(
        samples.series.filter((s: { scenario: string }) => s.scenario === scenario)
          .map((s: { transport: string }) => s.transport),
      );
      for (const t of GET_TRANSPORTS) assert.ok(measured.has(t), `${scenario} over ${t}`);
    }
    for (const series of samples.series as { samples: number[] }[]) {
      assert.ok(series.samples.length > 0 && series.samples.every((ms) => ms > 0));
    }
    // Each stem cold start is checked to have run on a stem cell, each other one on a new process.
    const stemShare = summary.derived["cold start h3-0rtt: stem cell / new process"];
    assert.ok(stemShare > 0 && stemShare < 1, `stem cell / new process: ${stemShare}`);
    const charts = [...Deno.readDirSync(`${out}/paper`)].map((e) => e.name);
    assert.ok(charts.some((name) => name.endsWith(".svg")), "charts were rendered");
    assert.match(await Deno.readTextFile(`${out}/paper-tables.md`), /get-noncontinuous/);
    assert.match(stdout, /(PASS|MISS) {2}non-continuous GET/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  assert.deepEqual(await listNamespaces(NAMESPACE_PREFIX), [], "every namespace it made is gone");
});

Deno.test("paper bench: --loopback refuses an RTT it cannot emulate; a bad --rtt is a usage error", async () => {
  for (const args of [["--loopback", "--rtt", "1"], ["--rtt", "fast"]]) {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "bench", "paper", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(run.stderr), /qfaas bench paper: .*rtt/i);
  }
});

Deno.test("app bench: every application runs over the three namespaces on every transport and writes its results", async () => {
  assert.equal(
    Deno.uid(),
    0,
    "the app bench needs root (network namespaces): run the tests as root",
  );
  const out = await Deno.makeTempDir({ prefix: "qfaas-app-test-" });
  try {
    for (const app of ["hello-retail", "certinfo", "image-resizer"]) {
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "bench", "app", app, "--samples", "2", "--out", out],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(
        run.code,
        0,
        `bench app ${app}: ${new TextDecoder().decode(run.stderr).slice(-3000)}`,
      );
      const samples = JSON.parse(await Deno.readTextFile(`${out}/app-${app}.json`));
      const transports = new Set(samples.series.map((s: { transport: string }) => s.transport));
      assert.deepEqual([...transports].sort(), [...TRANSPORT_MODES].sort(), app);
      const scenarios: string[] = samples.series.map((s: { scenario: string }) => s.scenario);
      if (app === "hello-retail") assert.ok(scenarios.some((s) => s.startsWith("f10 ")));
      // Cert Info POSTs the host of a fourth namespace, whose TLS host answered every probe.
      if (app === "certinfo") assert.ok(scenarios.every((s) => s.includes("POST")));
      for (const series of samples.series as { samples: number[] }[]) {
        assert.equal(series.samples.length, 2);
      }
      assert.ok(samples.machine.rttMeasured.every((ms: number) => Math.abs(ms - 1) <= 0.1));
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  assert.deepEqual(await listNamespaces(NAMESPACE_PREFIX), [], "every namespace it made is gone");
});

Deno.test("app bench: an unknown application, or an RTT loopback cannot emulate, is a usage error", async () => {
  const cases: [string[], RegExp][] = [
    [["nope"], /no application "nope": choose one of hello-retail/],
    [["certinfo", "--loopback", "--rtt", "1"], /--loopback has no delay/],
    [["certinfo", "--rtt", "-2"], /--rtt must be a number of ms from 0 to 50/],
  ];
  for (const [args, message] of cases) {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "bench", "app", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(run.stderr), message);
  }
});
