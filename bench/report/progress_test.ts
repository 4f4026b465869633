import assert from "node:assert/strict";
import { formatDuration, ProgressBar, type ProgressOutput } from "./progress.ts";

/** An output that records what is written, as a terminal or not. */
function recorder(terminal: boolean): ProgressOutput & { text: () => string } {
  const chunks: Uint8Array[] = [];
  return {
    writeSync(p) {
      // Take at most 7 bytes a call, to prove the bar loops on short writes.
      chunks.push(p.slice(0, 7));
      return Math.min(7, p.length);
    },
    isTerminal: () => terminal,
    text: () => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
  };
}

Deno.test("formatDuration() writes m:ss, and h:mm:ss from an hour", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(65_400), "1:05");
  assert.equal(formatDuration(3_725_000), "1:02:05");
  assert.equal(formatDuration(-5), "0:00");
});

Deno.test("ProgressBar writes a plain line each tenth of the way off a terminal", () => {
  const output = recorder(false);
  let clock = 1000;
  const bar = new ProgressBar("tls get", 20, { output, now: () => clock });
  for (let i = 0; i < 20; i++) {
    clock += 500;
    bar.tick();
  }
  bar.finish();
  const lines = output.text().split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 10);
  assert.equal(lines[0], "tls get 2/20 10% elapsed 0:01 ETA 0:09");
  assert.equal(lines[4], "tls get 10/20 50% elapsed 0:05 ETA 0:05");
  assert.equal(lines[9], "tls get 20/20 100% elapsed 0:10 ETA 0:00");
  assert.ok(!output.text().includes("\r"));
});

Deno.test("ProgressBar.finish() reports a run stopped short, off a terminal", () => {
  const output = recorder(false);
  const bar = new ProgressBar("x", 100, { output, now: () => 0 });
  bar.update(3);
  bar.finish();
  bar.finish();
  assert.equal(output.text(), "x 3/100 3% elapsed 0:00 ETA 0:00\n");
});

Deno.test("ProgressBar redraws in place on a terminal, at most once per interval", () => {
  const output = recorder(true);
  let clock = 0;
  const bar = new ProgressBar("h3", 4, { output, now: () => clock, width: 4, redrawMs: 100 });
  bar.tick();
  clock = 50;
  bar.tick();
  clock = 150;
  bar.tick();
  bar.finish();
  assert.equal(
    output.text(),
    "\rh3 [#---] 1/4 25% elapsed 0:00 ETA 0:00\x1b[K" +
      "\rh3 [###-] 3/4 75% elapsed 0:00 ETA 0:00\x1b[K" +
      "\rh3 [###-] 3/4 75% elapsed 0:00 ETA 0:00\x1b[K\n",
  );
});

Deno.test("ProgressBar keeps done within 0..total and shows an unknown ETA at the start", () => {
  const bar = new ProgressBar("x", 10, { output: recorder(false), now: () => 0 });
  assert.equal(bar.status(), "x 0/10 0% elapsed 0:00 ETA ?");
  bar.update(99);
  assert.equal(bar.done, 10);
  bar.update(-1);
  assert.equal(bar.done, 0);
});

Deno.test("ProgressBar rejects a total that is not a count", () => {
  assert.throws(() => new ProgressBar("x", -1, { output: recorder(false) }), RangeError);
  assert.throws(() => new ProgressBar("x", 1.5, { output: recorder(false) }), RangeError);
});
