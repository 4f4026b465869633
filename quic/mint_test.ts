import assert from "node:assert/strict";
import { mintSession } from "./mint.ts";
import { trustDomain } from "./_test_helpers.ts";

const domain = await trustDomain();
const ticketKey = crypto.getRandomValues(new Uint8Array(48));
const base = { server: { ...domain.leaf, ticketKey }, ca: domain.ca.cert, alpn: ["h3"] };

Deno.test("mintSession() returns a session without any socket", () => {
  const session = mintSession({ ...base, serverName: "localhost" });
  assert.ok(session.byteLength > 100, `session of ${session.byteLength} bytes`);
});

Deno.test("mintSession() fails clearly for a CA that did not sign the certificate", async () => {
  const other = await trustDomain("Unrelated CA");
  assert.throws(
    () => mintSession({ ...base, ca: other.ca.cert, serverName: "localhost" }),
    /Cannot mint a session for localhost: handshake failed: CRYPTO_ERROR\(unknown_ca\)/,
  );
});

Deno.test("mintSession() fails clearly for a name the certificate does not cover", () => {
  assert.throws(
    () => mintSession({ ...base, serverName: "worker-9.qfaas.internal" }),
    /handshake failed: CRYPTO_ERROR\(bad_certificate\)/,
  );
});
