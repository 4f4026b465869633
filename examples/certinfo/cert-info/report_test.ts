import assert from "node:assert/strict";
import { type CertificateReport, describeRemaining, toJson, toText } from "./report.ts";

Deno.test("describeRemaining() gives the two largest units, singular and plural", () => {
  assert.equal(describeRemaining(89 * 86_400 + 23 * 3600 + 59), "89 days 23 hours");
  assert.equal(describeRemaining(86_400 + 60), "1 day");
  assert.equal(describeRemaining(3600 + 61), "1 hour 1 minute");
  assert.equal(describeRemaining(5), "5 seconds");
  assert.equal(describeRemaining(0), "0 seconds");
  assert.equal(describeRemaining(-(3 * 86_400 + 2 * 3600)), "expired 3 days 2 hours ago");
});

const REPORT: CertificateReport = {
  target: { host: "127.0.0.1", port: 8443, servername: undefined, output: "text" },
  probe: {
    trusted: false,
    trustError: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    protocol: "TLSv1.3",
    address: "127.0.0.1",
  },
  certificate: {
    subject: "CN=example.test",
    commonName: "example.test",
    issuer: "CN=Test CA",
    issuerName: "Test CA",
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2026-04-01T00:00:00Z"),
    sans: ["example.test", "127.0.0.1"],
    serialNumber: "0a",
    fingerprintSha256: "AB:CD",
    secondsRemaining: 2 * 86_400,
    expired: false,
    notYetValid: false,
  },
};

Deno.test("toJson() has snake_case fields and ISO dates", () => {
  const json = toJson(REPORT);
  assert.equal(json.servername, null);
  assert.equal(json.not_after, "2026-04-01T00:00:00.000Z");
  assert.equal(json.trust_error, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  assert.equal(json.time_remaining, "2 days");
});

Deno.test("toText() aligns one line per field and says why it is not trusted", () => {
  const text = toText(REPORT);
  assert.match(text, /^Host {12}127\.0\.0\.1\n/);
  assert.match(text, /^Trusted {9}no \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/m);
  assert.match(text, /^SANs {12}example\.test, 127\.0\.0\.1$/m);
  assert.match(text, /^Time remaining {2}2 days$/m);
  assert.equal(text.split("\n").length, 16);
});
