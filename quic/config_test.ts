import assert from "node:assert/strict";
import {
  clientConfig,
  datagramSize,
  isLoopback,
  LOOPBACK_DATAGRAM_SIZE,
  NETWORK_DATAGRAM_SIZE,
  resolveAddressValidation,
  resolveLimits,
  serverConfig,
} from "./config.ts";
import { trustDomain } from "./_test_helpers.ts";

const domain = await trustDomain();

Deno.test("serverConfig() rejects a ticket key that is not 48 bytes", () => {
  assert.throws(
    () => serverConfig({ ...domain.leaf, ticketKey: new Uint8Array(32) }, ["h3"], resolveLimits()),
    /Cannot set ticket key: received 32 bytes, need 48/,
  );
});

Deno.test("serverConfig() rejects a key that does not parse", () => {
  assert.throws(
    () => serverConfig({ cert: domain.leaf.cert, key: "not a key" }, ["h3"], resolveLimits()),
    /certificate or key rejected/,
  );
});

Deno.test("clientConfig() requires a CA: there is no skip-verification path", () => {
  assert.throws(() => clientConfig({ ca: "" }, ["h3"], resolveLimits()), /no PEM CA certificate/);
});

Deno.test("serverConfig() and clientConfig() reject an empty ALPN list", () => {
  assert.throws(() => clientConfig({ ca: domain.ca.cert }, [], resolveLimits()), /empty ALPN/);
  assert.throws(() => serverConfig(domain.leaf, [], resolveLimits()), /empty ALPN/);
});

Deno.test("datagramSize() uses large datagrams only towards loopback peers", () => {
  const limits = resolveLimits();
  assert.equal(datagramSize(limits, "127.0.0.1"), LOOPBACK_DATAGRAM_SIZE);
  assert.equal(datagramSize(limits, "::1"), LOOPBACK_DATAGRAM_SIZE);
  assert.equal(datagramSize(limits, "10.0.0.2"), NETWORK_DATAGRAM_SIZE);
  assert.equal(datagramSize(limits, "fd00::2"), NETWORK_DATAGRAM_SIZE);
  assert.equal(datagramSize(resolveLimits({ maxDatagramSize: 1200 }), "127.0.0.1"), 1200);
  assert.equal(isLoopback("::ffff:127.0.0.1"), true);
  assert.equal(isLoopback("1270::1"), false);
});

Deno.test("resolveAddressValidation() maps booleans and absence, and rejects unknown policies", () => {
  assert.equal(resolveAddressValidation(undefined), "never");
  assert.equal(resolveAddressValidation(false), "never");
  assert.equal(resolveAddressValidation(true), "always");
  assert.equal(resolveAddressValidation("under-load"), "under-load");
  assert.throws(
    () => resolveAddressValidation("sometimes" as "always"),
    /Cannot validate addresses: received "sometimes", expected one of always, under-load, never/,
  );
});

Deno.test("resolveLimits() lets 128 unvalidated handshakes in flight by default", () => {
  assert.equal(resolveLimits().maxUnvalidatedHandshakes, 128);
  assert.equal(resolveLimits({ maxUnvalidatedHandshakes: 0 }).maxUnvalidatedHandshakes, 0);
});

Deno.test("serverConfig() with clientAuth requires a PEM CA to verify clients with", () => {
  assert.throws(
    () => serverConfig({ ...domain.leaf, clientAuth: { ca: "" } }, ["h3"], resolveLimits()),
    /clientAuth received no PEM CA certificate/,
  );
  serverConfig({ ...domain.leaf, clientAuth: { ca: domain.ca.cert } }, ["h3"], resolveLimits());
});

Deno.test("clientConfig() rejects an identity whose key does not parse", () => {
  assert.throws(
    () =>
      clientConfig(
        { ca: domain.ca.cert, identity: { cert: domain.leaf.cert, key: "not a key" } },
        ["h3"],
        resolveLimits(),
      ),
    /Cannot configure QUIC client: CA bundle, certificate or key rejected/,
  );
});
