import assert from "node:assert/strict";
import { CLIENT_AUTH_ALERT, ClientAuthPolicy } from "./client_auth.ts";
import { createCa, issueLeaf, ROLE_EKU } from "../pki/mod.ts";

const ca = await createCa("client auth test CA");
const der = (pem: string) => Uint8Array.fromBase64(pem.replace(/-----[^-]+-----|\s/g, ""));
const invoker = der((await issueLeaf(ca, { commonName: "i", role: "invoker" })).cert);
const worker = der((await issueLeaf(ca, { commonName: "w", role: "worker" })).cert);

Deno.test("ClientAuthPolicy.check() requires a certificate: none is certificate_required", () => {
  const policy = new ClientAuthPolicy({ ca: ca.cert });
  assert.equal(policy.check(null)?.alert, CLIENT_AUTH_ALERT.certificateRequired);
  assert.equal(policy.check([])?.alert, CLIENT_AUTH_ALERT.certificateRequired);
  assert.equal(policy.check([worker]), null, "any verified certificate without extKeyUsage");
});

Deno.test("ClientAuthPolicy.check() with extKeyUsage admits only leaves that carry it", () => {
  const policy = new ClientAuthPolicy({ ca: ca.cert, extKeyUsage: ROLE_EKU.invoker });
  assert.equal(policy.check([invoker]), null);
  assert.equal(policy.check([worker])?.alert, CLIENT_AUTH_ALERT.accessDenied);
  // Only the leaf counts: a chain whose second certificate has the usage is refused.
  assert.equal(policy.check([worker, invoker])?.alert, CLIENT_AUTH_ALERT.accessDenied);
  assert.equal(policy.check([new Uint8Array([0x30, 0x03])])?.alert, CLIENT_AUTH_ALERT.accessDenied);
});

Deno.test("ClientAuthPolicy() rejects an extKeyUsage that is not an OID", () => {
  assert.throws(
    () => new ClientAuthPolicy({ ca: ca.cert, extKeyUsage: "invoker" }),
    /Cannot encode an OID: received "invoker"/,
  );
});
