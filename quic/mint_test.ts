import assert from "node:assert/strict";
import { mintSession } from "./mint.ts";
import { trustDomain } from "./_test_helpers.ts";
import { issueLeaf, ROLE_EKU } from "../pki/mod.ts";

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

Deno.test("mintSession() with an identity records its certificate in the ticket", async () => {
  const invoker = await issueLeaf(domain.ca, { commonName: "qfaas-invoker", role: "invoker" });
  const clientAuth = { ca: domain.ca.cert, extKeyUsage: ROLE_EKU.invoker };
  const bare = mintSession({ ...base, serverName: "localhost" });
  const carrying = mintSession({
    ...base,
    server: { ...base.server, clientAuth },
    serverName: "localhost",
    identity: invoker,
  });
  // The ticket is encrypted under the server's ticket key, so the certificate cannot be
  // read here; its size shows it is there (the server reads it back on resumption:
  // quiche_engine_test.ts shows the listener admitting and refusing on it).
  const der = Uint8Array.fromBase64(invoker.cert.replace(/-----[^-]+-----|\s/g, ""));
  assert.ok(
    carrying.byteLength - bare.byteLength >= der.byteLength,
    `${carrying.byteLength} bytes with the certificate, ${bare.byteLength} without, DER ${der.byteLength}`,
  );
});
