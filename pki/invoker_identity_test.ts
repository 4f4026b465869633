import assert from "node:assert/strict";
import { createCa } from "./certs.ts";
import { INVOKER_NAME, invokerIdentity } from "./invoker_identity.ts";
import * as x509 from "@peculiar/x509";
import { ROLE_EKU, TLS_EKU } from "./roles.ts";

Deno.test("invokerIdentity() issues one invoker certificate per CA and returns it again", async () => {
  const ca = await createCa("QFaaS test CA");
  const other = await createCa("Other CA");
  const [a, b, c] = await Promise.all([
    invokerIdentity(ca),
    invokerIdentity(ca),
    invokerIdentity(other),
  ]);
  assert.equal(a, b, "the same identity for the same CA");
  assert.notEqual(a.cert, c.cert);
  const cert = new x509.X509Certificate(a.cert);
  assert.equal(cert.subject, `CN=${INVOKER_NAME}`);
  assert.equal(cert.issuer, ca.subject);
  const usages = cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages.map(String);
  assert.ok(usages.includes(TLS_EKU.clientAuth));
  assert.ok(!usages.includes(TLS_EKU.serverAuth));
  // @peculiar/x509 prints arcs past 2^53 oddly; the DER bytes are checked in quic/ext_key_usage_test.ts.
  assert.equal(usages.length, 2, `clientAuth and ${ROLE_EKU.invoker}`);
});
