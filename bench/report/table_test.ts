import assert from "node:assert/strict";
import type { Row } from "./summary.ts";
import { markdownTable } from "./table.ts";

const row = (over: Partial<Row>): Row => ({
  scenario: "get",
  transport: "tcp",
  rttMs: 0.5,
  n: 100,
  median: 2,
  p10: 1,
  p90: 3,
  ratioToTls: null,
  ratioToTls12: null,
  ratioToTcp: null,
  ...over,
});

Deno.test("markdownTable() writes one headed table per scenario with a row per summary", () => {
  const md = markdownTable([
    row({ transport: "tcp", median: 2.5, ratioToTls: 0.72, ratioToTls12: 0.6, ratioToTcp: 1 }),
    row({ transport: "tls", median: 3.4567, ratioToTls: 1, ratioToTcp: 1.3827 }),
    row({ scenario: "post", transport: "h3-1rtt", median: 123.456, p10: 0.12345 }),
  ]);
  const sections = md.split(/^### /m).filter((s) => s !== "");
  assert.equal(sections.length, 2);
  const [get, post] = sections.map((s) => s.trim().split("\n"));
  assert.equal(get[0], "get");
  assert.equal(
    get[2],
    "| RTT (ms) | transport | n | median (ms) | p10 (ms) | p90 (ms) | × tls | × tls12 | × tcp |",
  );
  assert.equal(get[3], "| --: | :-- | --: | --: | --: | --: | --: | --: | --: |");
  assert.equal(get.length, 6);
  assert.equal(get[4], "| 0.5 | `tcp` | 100 | 2.50 | 1.00 | 3.00 | 0.72 | 0.60 | 1.00 |");
  assert.equal(get[5], "| 0.5 | `tls` | 100 | 3.46 | 1.00 | 3.00 | 1.00 | — | 1.38 |");
  assert.equal(post[4], "| 0.5 | `h3-1rtt` | 100 | 123.5 | 0.123 | 3.00 | — | — | — |");
});

Deno.test("markdownTable() adds a chain column only to scenarios with chain lengths", () => {
  const md = markdownTable([
    row({ scenario: "chain", chainLength: 6 }),
    row({ scenario: "plain" }),
  ], { headingLevel: 2, decimals: 1 });
  const lines = md.split("\n").filter((l) => l.startsWith("|"));
  assert.equal(
    lines[0],
    "| RTT (ms) | chain | transport | n | median (ms) | p10 (ms) | p90 (ms) | × tls | × tls12 | × tcp |",
  );
  assert.equal(lines[2], "| 0.5 | 6 | `tcp` | 100 | 2.0 | 1.0 | 3.0 | — | — | — |");
  assert.equal(
    lines[3],
    "| RTT (ms) | transport | n | median (ms) | p10 (ms) | p90 (ms) | × tls | × tls12 | × tcp |",
  );
  assert.equal(lines[5], "| 0.5 | `tcp` | 100 | 2.0 | 1.0 | 3.0 | — | — | — |");
  assert.match(md, /^## chain$/m);
  assert.match(md, /^## plain$/m);
});

Deno.test("markdownTable() rejects a heading level outside 1–6", () => {
  assert.throws(() => markdownTable([row({})], { headingLevel: 7 }), RangeError);
});
