import assert from "node:assert/strict";
import { parseDuration, requireDuration } from "./duration.ts";

Deno.test("parseDuration() reads ms, s, m, h and Go-style sums", () => {
  assert.deepEqual(
    ["500ms", "2s", "1.5s", "2m", "1h", "1m30s", " 10s "].map((d) => parseDuration(d)),
    [500, 2000, 1500, 120_000, 3_600_000, 90_000, 10_000],
  );
});

Deno.test("parseDuration() reads a bare number only in the unit its source names", () => {
  assert.equal(parseDuration("750"), null);
  assert.equal(parseDuration("750", { bare: "ms" }), 750);
  assert.equal(parseDuration("10", { bare: "s" }), 10_000);
});

Deno.test("parseDuration() rejects what is not a duration", () => {
  for (const text of ["", "soon", "10 s", "-1s", "1d", "s", "1s2"]) {
    assert.equal(parseDuration(text, { bare: "s" }), null, text);
  }
});

Deno.test("requireDuration() names the setting at fault", () => {
  assert.throws(() => requireDuration("soon", "exec_timeout"), /exec_timeout.*"soon"/);
});
