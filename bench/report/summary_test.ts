import assert from "node:assert/strict";
import type { BenchRun, Series } from "./samples.ts";
import { summaryRows } from "./summary.ts";

const run = (series: Series[]): BenchRun => ({
  command: "test",
  startedAt: "2022-11-07T00:00:00.000Z",
  machine: {},
  series,
});

Deno.test("summaryRows() computes median, p10 and p90 by linear interpolation", () => {
  const [tcp, tls] = summaryRows(run([
    { scenario: "s", transport: "tls", rttMs: 0.5, samples: [20, 10] },
    { scenario: "s", transport: "tcp", rttMs: 0.5, samples: [11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  ]));
  assert.deepEqual(
    { n: tcp.n, median: tcp.median, p10: tcp.p10, p90: tcp.p90 },
    { n: 11, median: 6, p10: 2, p90: 10 },
  );
  assert.deepEqual({ n: tls.n, median: tls.median, p10: tls.p10, p90: tls.p90 }, {
    n: 2,
    median: 15,
    p10: 11,
    p90: 19,
  });
});

Deno.test("summaryRows() divides medians by the tls, tls12 and tcp medians of the same conditions", () => {
  const rows = summaryRows(run([
    { scenario: "s", transport: "tls12", rttMs: 0.5, samples: [20] },
    { scenario: "s", transport: "tcp", rttMs: 0.5, samples: [6] },
    { scenario: "s", transport: "tls", rttMs: 0.5, samples: [15] },
    { scenario: "s", transport: "h3-0rtt", rttMs: 0.5, samples: [3] },
    { scenario: "s", transport: "tls", rttMs: 1, samples: [30] },
    { scenario: "s", transport: "h3-0rtt", rttMs: 1, samples: [6] },
  ]));
  assert.deepEqual(
    rows.map((r) => [r.transport, r.rttMs, r.ratioToTls, r.ratioToTls12, r.ratioToTcp]),
    [
      ["tcp", 0.5, 0.4, 0.3, 1],
      ["tls12", 0.5, 20 / 15, 1, 20 / 6],
      ["tls", 0.5, 1, 0.75, 2.5],
      ["h3-0rtt", 0.5, 0.2, 0.15, 0.5],
      ["tls", 1, 1, null, null],
      ["h3-0rtt", 1, 0.2, null, null],
    ],
  );
});

Deno.test("summaryRows() compares chain lengths only with their own baselines", () => {
  const rows = summaryRows(run([
    { scenario: "chain", transport: "tls", rttMs: 0.5, chainLength: 2, samples: [40] },
    { scenario: "chain", transport: "h3-0rtt", rttMs: 0.5, chainLength: 1, samples: [10] },
    { scenario: "chain", transport: "tls", rttMs: 0.5, chainLength: 1, samples: [20] },
    { scenario: "chain", transport: "h3-0rtt", rttMs: 0.5, chainLength: 2, samples: [30] },
  ]));
  assert.deepEqual(rows.map((r) => [r.chainLength, r.transport, r.ratioToTls]), [
    [1, "tls", 1],
    [1, "h3-0rtt", 0.5],
    [2, "tls", 1],
    [2, "h3-0rtt", 0.75],
  ]);
});

Deno.test("summaryRows() orders scenarios as first seen, then RTT, then transport", () => {
  const rows = summaryRows(run([
    { scenario: "b", transport: "h3-1rtt", rttMs: 2, samples: [1] },
    { scenario: "a", transport: "tls", rttMs: 0, samples: [1] },
    { scenario: "b", transport: "tcp", rttMs: 2, samples: [1] },
    { scenario: "b", transport: "tcp", rttMs: 0.5, samples: [1] },
  ]));
  assert.deepEqual(rows.map((r) => `${r.scenario} ${r.rttMs} ${r.transport}`), [
    "b 0.5 tcp",
    "b 2 tcp",
    "b 2 h3-1rtt",
    "a 0 tls",
  ]);
});

Deno.test("summaryRows() gives no ratio against a zero baseline", () => {
  const [tcp, tls] = summaryRows(run([
    { scenario: "s", transport: "tcp", rttMs: 0, samples: [0] },
    { scenario: "s", transport: "tls", rttMs: 0, samples: [2] },
  ]));
  assert.equal(tcp.ratioToTls, 0);
  assert.equal(tls.ratioToTcp, null);
});

Deno.test("summaryRows() rejects a series without samples", () => {
  assert.throws(
    () => summaryRows(run([{ scenario: "s", transport: "tcp", rttMs: 0, samples: [] }])),
    RangeError,
  );
});
