import assert from "node:assert/strict";
import { parseDuration, watchdogConfig } from "./config.ts";

const tls = {
  QFAAS_TLS_CERT: "-----BEGIN CERTIFICATE-----",
  QFAAS_TLS_KEY: "-----BEGIN PRIVATE KEY-----",
  QFAAS_TICKET_KEY: btoa(String.fromCharCode(...new Uint8Array(48))),
};

Deno.test("watchdogConfig() applies defaults: h3, 10 s exec_timeout, no in-flight limit", () => {
  const config = watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls });
  assert.equal(config.transport, "h3");
  assert.equal(config.execTimeoutMs, 10_000);
  assert.equal(config.maxInflight, Infinity);
  assert.equal(config.port, 0);
  assert.equal(config.tls?.ticketKey.byteLength, 48);
});

Deno.test("watchdogConfig() reads OpenFaaS-style limits and needs no TLS for tcp", () => {
  const config = watchdogConfig({
    QFAAS_FUNCTION: "f.ts",
    QFAAS_TRANSPORT: "tcp",
    exec_timeout: "250ms",
    max_inflight: "2",
  });
  assert.equal(config.execTimeoutMs, 250);
  assert.equal(config.maxInflight, 2);
  assert.equal(config.tls, null);
});

Deno.test("watchdogConfig() names the variable at fault", () => {
  assert.throws(() => watchdogConfig({}), /QFAAS_FUNCTION/);
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", QFAAS_TRANSPORT: "udp" }),
    /QFAAS_TRANSPORT/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts" }),
    /QFAAS_TLS_CERT, QFAAS_TLS_KEY and QFAAS_TICKET_KEY/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls, QFAAS_TICKET_KEY: btoa("short") }),
    /48 bytes/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls, max_inflight: "-1" }),
    /max_inflight/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls, exec_timeout: "soon" }),
    /exec_timeout/,
  );
});

Deno.test("parseDuration() reads ms, s, m and h", () => {
  assert.deepEqual(["500ms", "2s", "1.5s", "2m", "1h", "750"].map((d) => parseDuration(d, "x")), [
    500,
    2000,
    1500,
    120_000,
    3_600_000,
    750,
  ]);
});
