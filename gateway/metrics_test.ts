import assert from "node:assert/strict";
import { CONTENT_TYPE, Counter, Gauge, Histogram, Registry } from "./metrics.ts";

Deno.test("metrics: CONTENT_TYPE is the 0.0.4 text format", () => {
  assert.equal(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("metrics: counter without labels starts at 0 and renders HELP, TYPE, sample", () => {
  const registry = new Registry();
  const counter = registry.counter("qfaas_started_total", "Gateway starts.");
  assert.ok(counter instanceof Counter);
  assert.equal(
    registry.render(),
    "# HELP qfaas_started_total Gateway starts.\n# TYPE qfaas_started_total counter\n" +
      "qfaas_started_total 0\n",
  );
  counter.inc();
  counter.inc({}, 2.5);
  assert.equal(registry.render().split("\n")[2], "qfaas_started_total 3.5");
});

Deno.test("metrics: counter with labels renders series in declared label order", () => {
  const registry = new Registry();
  const counter = registry.counter("qfaas_requests_total", "Requests.", ["function", "code"]);
  counter.inc({ code: "200", function: "hello" });
  counter.inc({ function: "echo", code: "500" }, 3);
  counter.inc({ function: "hello", code: "200" });
  assert.equal(
    registry.render(),
    [
      "# HELP qfaas_requests_total Requests.",
      "# TYPE qfaas_requests_total counter",
      'qfaas_requests_total{function="hello",code="200"} 2',
      'qfaas_requests_total{function="echo",code="500"} 3',
      "",
    ].join("\n"),
  );
});

Deno.test("metrics: label values escape backslash, double quote and newline; HELP too", () => {
  const registry = new Registry();
  const counter = registry.counter("x_total", "a \\ b\nc", ["v"]);
  counter.inc({ v: 'say "hi"\\path\nnext' });
  assert.equal(
    registry.render(),
    "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\n" +
      'x_total{v="say \\"hi\\"\\\\path\\nnext"} 1\n',
  );
});

Deno.test("metrics: histogram buckets are cumulative with +Inf, sum and count", () => {
  const registry = new Registry();
  const histogram = registry.histogram("lat_seconds", "Latency.", ["fn"], [0.1, 0.5, 1]);
  assert.ok(histogram instanceof Histogram);
  for (const s of [0.05, 0.1, 0.3, 2]) histogram.observe({ fn: "a" }, s);
  assert.equal(
    registry.render(),
    [
      "# HELP lat_seconds Latency.",
      "# TYPE lat_seconds histogram",
      'lat_seconds_bucket{fn="a",le="0.1"} 2',
      'lat_seconds_bucket{fn="a",le="0.5"} 3',
      'lat_seconds_bucket{fn="a",le="1"} 3',
      'lat_seconds_bucket{fn="a",le="+Inf"} 4',
      'lat_seconds_sum{fn="a"} 2.45',
      'lat_seconds_count{fn="a"} 4',
      "",
    ].join("\n"),
  );
});

Deno.test("metrics: histogram defaults to 14 second buckets and validates bounds", () => {
  const histogram = new Histogram("h_seconds", "H.");
  const lines = histogram.render().split("\n");
  const les = lines.filter((l) => l.startsWith("h_seconds_bucket")).map((l) => l.slice(21, -4));
  assert.deepEqual(les, [
    ...["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5"],
    ...["1", "2.5", "5", "10", "+Inf"],
  ]);
  assert.equal(lines[16], 'h_seconds_bucket{le="+Inf"} 0');
  assert.equal(new Histogram("h", "H.", [], [1, Infinity]).render().split("\n").length, 7);
  assert.throws(() => new Histogram("h", "H.", [], [1, 1]), RangeError);
  assert.throws(() => new Histogram("h", "H.", [], [NaN]), RangeError);
  assert.throws(() => new Histogram("h", "H.", ["le"]), /label "le" is reserved/);
});

Deno.test("metrics: gauge set, inc and dec", () => {
  const registry = new Registry();
  const gauge = registry.gauge("inflight", "In flight.", ["fn"]);
  assert.ok(gauge instanceof Gauge);
  gauge.inc({ fn: "a" });
  gauge.inc({ fn: "a" }, 4);
  gauge.dec({ fn: "a" }, 2);
  gauge.set({ fn: "b" }, -Infinity);
  gauge.dec({ fn: "c" });
  assert.equal(
    registry.render(),
    [
      "# HELP inflight In flight.",
      "# TYPE inflight gauge",
      'inflight{fn="a"} 3',
      'inflight{fn="b"} -Inf',
      'inflight{fn="c"} -1',
      "",
    ].join("\n"),
  );
  gauge.set({ fn: "a" }, NaN);
  assert.equal(registry.render().split("\n")[2], 'inflight{fn="a"} NaN');
});

Deno.test("metrics: gauge collect callback supplies values at render time", () => {
  const pools = new Map([["hello", 2], ["echo", 0]]);
  const registry = new Registry();
  const gauge = registry.gauge("live_workers", "Live workers.", ["fn"], {
    collect: () => [...pools].map(([fn, n]): [Record<string, string>, number] => [{ fn }, n]),
  });
  gauge.set({ fn: "stale" }, 7);
  const expected = (hello: number) =>
    [
      "# HELP live_workers Live workers.",
      "# TYPE live_workers gauge",
      'live_workers{fn="stale"} 7',
      `live_workers{fn="hello"} ${hello}`,
      'live_workers{fn="echo"} 0',
      "",
    ].join("\n");
  assert.equal(registry.render(), expected(2));
  pools.set("hello", 5);
  assert.equal(registry.render(), expected(5));
  const bad = new Gauge("g", "G.", ["fn"], { collect: () => [[{ other: "x" }, 1]] });
  assert.throws(() => bad.render(), /metric g: undeclared label "other"/);
});

Deno.test("metrics: registering the same name twice throws", () => {
  const registry = new Registry();
  registry.counter("dup", "First.");
  assert.throws(() => registry.gauge("dup", "Second."), {
    name: "TypeError",
    message: 'metric "dup" is already registered',
  });
  assert.throws(() => registry.histogram("dup", "Third."), TypeError);
});

Deno.test("metrics: undeclared or missing labels throw naming metric and label", () => {
  const registry = new Registry();
  const counter = registry.counter("req_total", "R.", ["fn"]);
  assert.throws(() => counter.inc({ fn: "a", code: "200" }), {
    name: "TypeError",
    message: 'metric req_total: undeclared label "code"',
  });
  assert.throws(() => counter.inc(), {
    name: "TypeError",
    message: 'metric req_total: missing label "fn"',
  });
  const gauge = registry.gauge("g", "G.");
  assert.throws(() => gauge.set({ fn: "a" }, 1), /metric g: undeclared label "fn"/);
  const histogram = registry.histogram("h", "H.", ["a", "b"]);
  assert.throws(() => histogram.observe({ a: "1" }, 1), /metric h: missing label "b"/);
  assert.equal(registry.render().includes("req_total{"), false);
});

Deno.test("metrics: invalid metric and label names throw TypeError naming them", () => {
  const registry = new Registry();
  assert.throws(() => registry.counter("1bad", "B."), {
    name: "TypeError",
    message: 'invalid metric name "1bad"',
  });
  assert.throws(() => registry.gauge("has-dash", "B."), /invalid metric name "has-dash"/);
  assert.throws(() => registry.counter("ok", "B.", ["a:b"]), {
    name: "TypeError",
    message: 'metric ok: invalid label name "a:b"',
  });
  assert.throws(() => registry.counter("ok", "B.", ["__name"]), /invalid label name "__name"/);
  assert.throws(() => registry.counter("ok", "B.", ["x", "x"]), /duplicate label name "x"/);
  assert.ok(registry.counter("ns:ok_total", "Colons allowed.", ["_x", "y1"]));
});

Deno.test("metrics: negative counter increment throws RangeError", () => {
  const counter = new Counter("c_total", "C.");
  assert.throws(() => counter.inc({}, -1), {
    name: "RangeError",
    message: "counter c_total: increment must be >= 0, got -1",
  });
  assert.throws(() => counter.inc({}, NaN), RangeError);
  assert.equal(counter.render().split("\n")[2], "c_total 0");
});

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = "(?:NaN|[+-]Inf|-?\\d+(?:\\.\\d+)?(?:e[+-]\\d+)?)";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{${LABEL}(?:,${LABEL})*\\})? ${VALUE}$`);
const COMMENT = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`);

Deno.test("metrics: render output follows the exposition grammar line by line", () => {
  const registry = new Registry();
  registry.counter("a_total", "A.", ["fn"]).inc({ fn: 'q"\\\n' });
  registry.counter("b_total", "B.");
  const gauge = registry.gauge("g", "G.", ["fn"], { collect: () => [[{ fn: "x" }, Infinity]] });
  gauge.set({ fn: "y" }, -0.25);
  const histogram = registry.histogram("h_seconds", "H.", ["fn", "code"]);
  histogram.observe({ fn: "x", code: "200" }, 0.003);
  histogram.observe({ fn: "y", code: "500" }, 1e-7);

  const text = registry.render();
  assert.ok(text.endsWith("\n"));
  const lines = text.slice(0, -1).split("\n");
  let family = "";
  let type = "";
  let samples = 0;
  for (const line of lines) {
    const comment = COMMENT.exec(line);
    if (comment) {
      if (comment[1] === "TYPE") {
        assert.match(comment[3], /^(counter|gauge|histogram)$/, line);
        assert.equal(comment[2], family, `TYPE follows HELP: ${line}`);
        type = comment[3];
      } else {
        family = comment[2];
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match, `not a valid sample line: ${JSON.stringify(line)}`);
    const suffixes = type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
    assert.ok(suffixes.some((s) => match[1] === family + s), `${line} belongs to ${family}`);
    samples++;
  }
  // 1 + 1 counter samples, 2 gauge samples, 2 histogram series × (15 buckets + sum + count).
  assert.equal(samples, 1 + 1 + 2 + 2 * 17);
  assert.equal(lines.filter((l) => l.startsWith("# TYPE")).length, 4);
  assert.ok(lines.includes('h_seconds_sum{fn="y",code="500"} 1e-7'));
});
