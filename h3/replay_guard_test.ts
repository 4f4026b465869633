import assert from "node:assert/strict";
import { NONCE_HEADER, ReplayGuard } from "./replay_guard.ts";

const request = (method: string, nonce?: string) => ({
  method,
  headers: new Headers(nonce ? { [NONCE_HEADER]: nonce } : {}),
});
const nonce = "0123456789abcdef0123";

Deno.test("ReplayGuard admits anything that did not arrive in early data", () => {
  const guard = new ReplayGuard({ windowMs: 1000 });
  assert.equal(guard.admit(request("POST"), false), true);
  assert.equal(guard.admit(request("POST", nonce), false), true);
  assert.equal(guard.size, 0, "1-RTT requests leave no state");
});

Deno.test("ReplayGuard admits an early-data nonce once and refuses its replay", () => {
  const guard = new ReplayGuard({ windowMs: 1000 });
  assert.equal(guard.admit(request("POST", nonce), true, 0), true);
  assert.equal(guard.admit(request("POST", nonce), true, 10), false);
  assert.equal(guard.admit(request("GET", nonce), true, 20), false, "whatever the method");
});

Deno.test("ReplayGuard refuses early non-idempotent requests without a nonce, and short nonces", () => {
  const guard = new ReplayGuard({ windowMs: 1000 });
  assert.equal(guard.admit(request("POST"), true), false);
  assert.equal(
    guard.admit(request("GET"), true),
    true,
    "idempotent requests may replay harmlessly",
  );
  assert.equal(guard.admit(request("POST", "short"), true), false);
});

Deno.test("ReplayGuard forgets nonces after its window, and refuses when full", () => {
  const guard = new ReplayGuard({ windowMs: 100, maxEntries: 2 });
  assert.equal(guard.admit(request("POST", `${nonce}a`), true, 0), true);
  assert.equal(guard.admit(request("POST", `${nonce}b`), true, 0), true);
  assert.equal(
    guard.admit(request("POST", `${nonce}c`), true, 50),
    false,
    "full: refuse rather than forget",
  );
  assert.equal(
    guard.admit(request("POST", `${nonce}c`), true, 150),
    true,
    "the window passed and freed room",
  );
  assert.equal(
    guard.admit(request("POST", `${nonce}a`), true, 150),
    true,
    "an expired nonce is no longer known",
  );
});
