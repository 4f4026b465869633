import assert from "node:assert/strict";
import { DEFAULT_TIMEOUT_MS, loadConfig } from "./config.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

Deno.test("loadConfig() defaults to a 5 s deadline and the built-in roots", () => {
  assert.deepEqual(loadConfig({}), { timeoutMs: DEFAULT_TIMEOUT_MS, extraCaCerts: [] });
  assert.equal(DEFAULT_TIMEOUT_MS, 5000);
});

Deno.test("loadConfig() reads CERTINFO_TIMEOUT in ms, s and m", () => {
  assert.equal(loadConfig({ CERTINFO_TIMEOUT: "750" }).timeoutMs, 750);
  assert.equal(loadConfig({ CERTINFO_TIMEOUT: "750ms" }).timeoutMs, 750);
  assert.equal(loadConfig({ CERTINFO_TIMEOUT: "1.5s" }).timeoutMs, 1500);
  assert.equal(loadConfig({ CERTINFO_TIMEOUT: "1m" }).timeoutMs, 60_000);
});

Deno.test("loadConfig() rejects a malformed or zero CERTINFO_TIMEOUT", () => {
  for (const value of ["soon", "0", "-1s", "5h"]) {
    assert.throws(() => loadConfig({ CERTINFO_TIMEOUT: value }), TypeError, value);
  }
});

Deno.test("loadConfig() splits CERTINFO_CA_CERTS into certificates and rejects non-PEM", () => {
  assert.deepEqual(loadConfig({ CERTINFO_CA_CERTS: `${PEM}\n${PEM}\n` }).extraCaCerts, [PEM, PEM]);
  assert.throws(() => loadConfig({ CERTINFO_CA_CERTS: "not a certificate" }), TypeError);
});
