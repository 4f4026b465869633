import assert from "node:assert/strict";
import { createCa, issueLeaf } from "../../../pki/mod.ts";
import { readCertificate } from "./certificate.ts";

function pemToDer(pem: string): Uint8Array {
  const base64 = pem.replace(/-----[^-]+-----|\s/g, "");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

const ca = await createCa("Cert Info Test CA");

Deno.test("readCertificate() reads names, validity, SANs, serial and fingerprint", async () => {
  const leaf = await issueLeaf(ca, {
    commonName: "example.test",
    dnsNames: ["example.test", "www.example.test"],
    ipAddresses: ["127.0.0.1"],
    validDays: 30,
  });
  const der = pemToDer(leaf.cert);
  const now = new Date();
  const details = await readCertificate(der, now);
  assert.equal(details.subject, "CN=example.test");
  assert.equal(details.commonName, "example.test");
  assert.equal(details.issuer, "CN=Cert Info Test CA");
  assert.equal(details.issuerName, "Cert Info Test CA");
  assert.deepEqual(details.sans, ["example.test", "www.example.test", "127.0.0.1"]);
  assert.ok(details.notBefore < now && now < details.notAfter);
  const expected = (details.notAfter.getTime() - now.getTime()) / 1000;
  assert.ok(Math.abs(details.secondsRemaining - expected) <= 1);
  assert.ok(details.secondsRemaining > 29 * 86_400 && details.secondsRemaining <= 30 * 86_400);
  assert.equal(details.expired, false);
  assert.equal(details.notYetValid, false);
  assert.match(details.serialNumber, /^[0-9a-f]+$/i);
  assert.match(details.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

Deno.test("readCertificate() counts down past expiry", async () => {
  const leaf = await issueLeaf(ca, { commonName: "old.test", validDays: 1 });
  const later = new Date(Date.now() + 3 * 86_400_000);
  const details = await readCertificate(pemToDer(leaf.cert), later);
  assert.equal(details.expired, true);
  assert.ok(details.secondsRemaining < -86_400);
});

Deno.test("readCertificate() rejects bytes that are not a certificate", async () => {
  await assert.rejects(() => readCertificate(new Uint8Array([1, 2, 3]), new Date()));
});
