import assert from "node:assert/strict";
import { watchdogConfig } from "./config.ts";

const secrets = {
  tls: {
    cert: "-----BEGIN CERTIFICATE-----",
    key: "-----BEGIN PRIVATE KEY-----",
    ticketKey: new Uint8Array(48),
  },
};

Deno.test("watchdogConfig() applies defaults: h3, 10 s exec_timeout, no in-flight limit", () => {
  const config = watchdogConfig({ QFAAS_FUNCTION: "f.ts" }, secrets);
  assert.equal(config.transport, "h3");
  assert.equal(config.execTimeoutMs, 10_000);
  assert.equal(config.maxInflight, Infinity);
  assert.equal(config.port, 0);
  assert.equal(config.maxBodyBytes, 16 * 1024 * 1024);
  assert.equal(config.tls?.ticketKey.byteLength, 48);
});

Deno.test("watchdogConfig() reads OpenFaaS-style limits and needs no TLS for tcp", () => {
  const config = watchdogConfig({
    QFAAS_FUNCTION: "f.ts",
    QFAAS_TRANSPORT: "tcp",
    exec_timeout: "250ms",
    max_inflight: "2",
    QFAAS_MAX_BODY: "104857600",
  });
  assert.equal(config.execTimeoutMs, 250);
  assert.equal(config.maxInflight, 2);
  assert.equal(config.maxBodyBytes, 104857600);
  assert.equal(config.tls, null);
});

Deno.test("watchdogConfig() names the variable at fault", () => {
  assert.throws(() => watchdogConfig({}), /QFAAS_FUNCTION \(a Deno module\) or fprocess/);
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", fprocess: "python3 s.py" }, secrets),
    /both set/,
  );
  assert.throws(() => watchdogConfig({ fprocess: "python3 s.py" }, secrets), /upstream_url/);
  assert.throws(
    () => watchdogConfig({ fprocess: "cat", mode: "streaming", upstream_url: "http://x" }, secrets),
    /mode=http/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", QFAAS_TRANSPORT: "udp" }),
    /QFAAS_TRANSPORT/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts" }),
    /transport h3 needs its TLS identity on stdin/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", QFAAS_WRITABLE: "/tmp" }, secrets),
    /QFAAS_WRITABLE must be a JSON array/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", max_inflight: "-1" }, secrets),
    /max_inflight/,
  );
  assert.throws(
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", exec_timeout: "soon" }, secrets),
    /exec_timeout/,
  );
});

Deno.test("watchdogConfig() reads a bare exec_timeout as seconds, as of-watchdog does", () => {
  const config = watchdogConfig({ QFAAS_FUNCTION: "f.ts", exec_timeout: "3" }, secrets);
  assert.equal(config.execTimeoutMs, 3000);
});

Deno.test("watchdogConfig() takes an of-watchdog http-mode upstream instead of a module", () => {
  const config = watchdogConfig({
    fprocess: "python3 server.py",
    upstream_url: "http://127.0.0.1:5000",
  }, secrets);
  assert.deepEqual(config.upstream, {
    fprocess: "python3 server.py",
    upstreamUrl: "http://127.0.0.1:5000",
  });
  assert.equal(config.functionPath, null);
});
