import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeOid, extendedKeyUsages, hasExtendedKeyUsage } from "./ext_key_usage.ts";
import { createCa, issueLeaf, ROLE_EKU, TLS_EKU } from "../pki/mod.ts";

const ca = await createCa("EKU test CA");
const der = (pem: string) => Uint8Array.fromBase64(pem.replace(/-----[^-]+-----|\s/g, ""));
const worker = der((await issueLeaf(ca, { commonName: "w", role: "worker" })).cert);
const invoker = der((await issueLeaf(ca, { commonName: "i", role: "invoker" })).cert);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("encodeOid() encodes small and UUID-sized arcs as DER does", () => {
  assert.equal(hex(encodeOid(TLS_EKU.clientAuth)), "2b06010505070302");
  assert.equal(hex(encodeOid("2.5.29.37")), "551d25");
  // 2.25.<uuid>.1: the first byte is 2*40+25 = 0x69, then the UUID in base 128.
  assert.equal(hex(encodeOid(ROLE_EKU.invoker)), "6982afb7aba9ca91faaf9dadc9c9c7bbd6aba56a01");
});

Deno.test("encodeOid() rejects text that is not an OID", () => {
  for (const bad of ["", "1", "3.1", "1.2.", "1.02", "1.40", "a.b"]) {
    assert.throws(() => encodeOid(bad), TypeError, bad);
  }
});

Deno.test("extendedKeyUsages() reads a worker's and the invoker's usages from their DER", () => {
  assert.deepEqual(
    extendedKeyUsages(worker)!.map(hex),
    [TLS_EKU.serverAuth, TLS_EKU.clientAuth, ROLE_EKU.worker].map((oid) => hex(encodeOid(oid))),
  );
  assert.equal(hasExtendedKeyUsage(invoker, encodeOid(ROLE_EKU.invoker)), true);
  assert.equal(hasExtendedKeyUsage(worker, encodeOid(ROLE_EKU.invoker)), false);
  assert.equal(hasExtendedKeyUsage(invoker, encodeOid(ROLE_EKU.worker)), false);
});

Deno.test("extendedKeyUsages() gives null for every truncation of a certificate, never a throw", () => {
  for (let length = 0; length < invoker.byteLength; length++) {
    assert.equal(extendedKeyUsages(invoker.subarray(0, length)), null, `prefix of ${length} bytes`);
  }
});

Deno.test("extendedKeyUsages() never throws on random bytes, nor on a corrupted certificate", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
    const result = extendedKeyUsages(bytes);
    assert.ok(result === null || Array.isArray(result));
  }));
  fc.assert(
    fc.property(fc.nat(invoker.byteLength - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const corrupted = invoker.slice();
      corrupted[at] = byte;
      const result = extendedKeyUsages(corrupted);
      assert.ok(result === null || Array.isArray(result));
    }),
  );
});
