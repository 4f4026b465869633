import assert from "node:assert/strict";
import { CLOSE_FLIGHT, CloseBudget, MAX_CLOSE_DATAGRAMS } from "./close_budget.ts";

Deno.test("CloseBudget: one flight per pass, then the connection is dropped past the total", () => {
  const budget = new CloseBudget<object>();
  const spinning = {};
  const steps: string[] = [];
  // A connection that always has another CONNECTION_CLOSE: passes until it is dropped.
  for (let pass = 0; !steps.includes("drop"); pass++) {
    for (let polled = 0;; polled++) {
      const step = budget.next(spinning, polled);
      steps.push(step);
      if (step !== "send") break;
    }
    assert.ok(pass < 100, "it ends");
  }
  assert.equal(steps.filter((step) => step === "send").length, MAX_CLOSE_DATAGRAMS);
  const perPass = steps.join(",").split(/,pass over,?/).filter(Boolean)[0].split(",");
  assert.equal(perPass.length, CLOSE_FLIGHT, "a pass sends one flight");
  // Another connection has its own budget, and a forgotten one starts again.
  assert.equal(budget.next({}, 0), "send");
  budget.forget(spinning);
  assert.equal(budget.next(spinning, 0), "send");
});
