import assert from "node:assert/strict";
import { newNonce, NONCE_HEADER, nonceTarget, ReplayGuard } from "./replay_guard.ts";

const request = (method: string, nonce?: string) => ({
  method,
  headers: new Headers(nonce ? { [NONCE_HEADER]: nonce } : {}),
});
/** A guard started at time 0 (ms), remembering nonces for `windowMs`. */
const guardAt0 = (windowMs = 1000, maxEntries?: number) =>
  new ReplayGuard({ windowMs, maxEntries, since: 0 });

Deno.test("newNonce() says when it was made, with 96 random bits", () => {
  const a = newNonce(1_733_000_000_000);
  assert.match(a, /^[0-9a-z]+\.[0-9a-f]{24}$/);
  assert.equal(parseInt(a.split(".")[0], 36), 1_733_000_000_000);
  assert.notEqual(newNonce(5), newNonce(5));
});

Deno.test("ReplayGuard admits anything that did not arrive in early data", () => {
  const guard = guardAt0();
  assert.equal(guard.admit(request("POST"), false), true);
  assert.equal(guard.admit(request("POST", newNonce(0)), false), true);
  assert.equal(guard.size, 0, "1-RTT requests leave no state");
});

Deno.test("ReplayGuard admits an early-data nonce once and refuses its replay", () => {
  const guard = guardAt0();
  const nonce = newNonce(0);
  assert.equal(guard.admit(request("POST", nonce), true, 0), true);
  assert.equal(guard.admit(request("POST", nonce), true, 10), false);
  assert.equal(guard.admit(request("GET", nonce), true, 20), false, "whatever the method");
});

Deno.test("ReplayGuard refuses early non-idempotent requests without a nonce, and nonces not ours", () => {
  const guard = guardAt0();
  assert.equal(guard.admit(request("POST"), true, 0), false);
  assert.equal(
    guard.admit(request("GET"), true, 0),
    true,
    "idempotent requests may replay harmlessly",
  );
  for (const nonce of ["short", "0123456789abcdef0123456789abcdef", "0.xyz", "0.abc"]) {
    assert.equal(guard.admit(request("POST", nonce), true, 0), false, nonce);
  }
});

Deno.test("ReplayGuard refuses a nonce made before it started: a flight recorded before a restart", () => {
  const before = newNonce(999);
  const restarted = new ReplayGuard({ windowMs: 60_000, since: 1000 });
  assert.equal(restarted.admit(request("POST", before), true, 1500), false);
  assert.equal(restarted.admit(request("POST", newNonce(1500)), true, 1500), true);
});

Deno.test("ReplayGuard refuses nonces older than its window or from the future", () => {
  const guard = guardAt0(100);
  assert.equal(
    guard.admit(request("POST", newNonce(10)), true, 200),
    false,
    "older than the window",
  );
  assert.equal(guard.admit(request("POST", newNonce(60_000)), true, 200), false, "a minute ahead");
  assert.equal(
    guard.admit(request("POST", newNonce(4_000)), true, 200),
    true,
    "a clock a little ahead",
  );
});

Deno.test("ReplayGuard forgets nonces after its window, and refuses when full", () => {
  const guard = guardAt0(100, 2);
  const [a, b, c] = [newNonce(0), newNonce(0), newNonce(50)];
  assert.equal(guard.admit(request("POST", a), true, 0), true);
  assert.equal(guard.admit(request("POST", b), true, 0), true);
  assert.equal(guard.admit(request("POST", c), true, 50), false, "full: refuse rather than forget");
  assert.equal(
    guard.admit(request("POST", c), true, 120),
    true,
    "the window passed and freed room",
  );
  assert.equal(
    guard.admit(request("POST", a), true, 120),
    false,
    "an expired nonce is refused by its age, not by memory",
  );
});

Deno.test("ReplayGuard of a replica (others share its ticket key): only nonces bound to its own address, so a replay to another replica does not run", () => {
  const a = nonceTarget("10.88.0.5", 8443);
  const b = nonceTarget("10.88.0.6", 8443);
  const replicaA = new ReplayGuard({ windowMs: 1000, since: 0, replica: [a] });
  const replicaB = new ReplayGuard({ windowMs: 1000, since: 0, replica: [b] });
  const nonce = newNonce(0, a);
  assert.match(nonce, /^[0-9a-z]+\.[0-9a-f]{24}@10\.88\.0\.5:8443$/);
  assert.equal(replicaA.admit(request("POST", nonce), true, 0), true, "meant for A: runs on A");
  assert.equal(replicaB.admit(request("POST", nonce), true, 0), false, "replayed to B: refused");
  assert.equal(replicaB.admit(request("POST", newNonce(0)), false), true, "not early: no question");
  assert.equal(replicaB.admit(request("POST", newNonce(0)), true, 0), false, "unbound: refused");
  assert.equal(replicaB.admit(request("GET"), true, 0), false, "even an idempotent one without");
  // A server that shares its key with nobody takes bound and unbound nonces alike.
  assert.equal(guardAt0().admit(request("POST", newNonce(0, b)), true, 0), true);
});

Deno.test("nonceTarget() writes an IPv6 host in brackets, as a URL would", () => {
  assert.equal(nonceTarget("::1", 443), "[::1]:443");
  assert.equal(nonceTarget("[fd00::5]", 8443), "[fd00::5]:8443");
  assert.equal(nonceTarget("example.test", 8443), "example.test:8443");
});
