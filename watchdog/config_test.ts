import assert from "node:assert/strict";
import { watchdogConfig } from "./config.ts";

const tls = {
  QFAAS_TLS_CERT: "-----BEGIN CERTIFICATE-----",
  QFAAS_TLS_KEY: "-----BEGIN PRIVATE KEY-----",
  QFAAS_TICKET_KEY: new Uint8Array(48).toBase64(),
};

Deno.test("watchdogConfig() applies defaults: h3, 10 s exec_timeout, no in-flight limit", () => {
  const config = watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls });
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
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", fprocess: "python3 s.py", ...tls }),
    /both set/,
  );
  assert.throws(() => watchdogConfig({ fprocess: "python3 s.py", ...tls }), /upstream_url/);
  assert.throws(
    () => watchdogConfig({ fprocess: "cat", mode: "streaming", upstream_url: "http://x", ...tls }),
    /mode=http/,
  );
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
    () => watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls, QFAAS_TICKET_KEY: "not base64!" }),
    /QFAAS_TICKET_KEY is not base64/,
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

Deno.test("watchdogConfig() reads a bare exec_timeout as seconds, as of-watchdog does", () => {
  const config = watchdogConfig({ QFAAS_FUNCTION: "f.ts", ...tls, exec_timeout: "3" });
  assert.equal(config.execTimeoutMs, 3000);
});

Deno.test("watchdogConfig() takes an of-watchdog http-mode upstream instead of a module", () => {
  const config = watchdogConfig({
    fprocess: "python3 server.py",
    upstream_url: "http://127.0.0.1:5000",
    ...tls,
  });
  assert.deepEqual(config.upstream, {
    fprocess: "python3 server.py",
    upstreamUrl: "http://127.0.0.1:5000",
  });
  assert.equal(config.functionPath, null);
});
