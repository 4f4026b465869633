import assert from "node:assert/strict";
import { parseWrk, wrkDuration } from "./wrk.ts";

const REPORT = `Running 10s test @ http://127.0.0.1:8080/function/echo
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.14ms    4.01ms  60.12ms   80.00%
    Req/Sec     3.20k   400.00     4.10k    70.00%
  Latency Distribution
     50%    9.80ms
     75%   12.00ms
     90%   15.50ms
     99%  810.00us
  63812 requests in 10.01s, 9.74MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   6375.02
Transfer/sec:      0.97MB
`;

Deno.test("parseWrk() reads requests, rate, percentiles and every kind of error", () => {
  const result = parseWrk(REPORT, { url: "u", connections: 64, seconds: 10 });
  assert.equal(result.requests, 63812);
  assert.equal(result.rps, 6375.02);
  assert.deepEqual(result.latencyMs, { p50: 9.8, p90: 15.5, p99: 0.81 });
  assert.equal(result.errors, 7);
  const clean = REPORT.replace(/ {2}Socket errors.*\n {2}Non-2xx.*\n/, "");
  assert.equal(parseWrk(clean, { url: "u", connections: 64, seconds: 10 }).errors, 0);
  assert.throws(() => parseWrk("nothing", { url: "u", connections: 1, seconds: 1 }), /wrk: no/);
});

Deno.test("wrkDuration() reads µs, ms, s and m", () => {
  assert.equal(wrkDuration("812.00us"), 0.812);
  assert.equal(wrkDuration("2.5s"), 2500);
  assert.equal(wrkDuration("1m"), 60_000);
  assert.throws(() => wrkDuration("fast"));
});
