import assert from "node:assert/strict";
import { describeClose, transportErrorName } from "./errors.ts";

Deno.test("transportErrorName() names transport codes and TLS alerts", () => {
  assert.equal(transportErrorName(0x0a), "PROTOCOL_VIOLATION");
  assert.equal(transportErrorName(0x100 + 48), "CRYPTO_ERROR(unknown_ca)");
  assert.equal(transportErrorName(0x100 + 99), "CRYPTO_ERROR(alert 99)");
  assert.equal(transportErrorName(0x4242), "0x4242");
});

Deno.test("describeClose() says who closed, with which code and why", () => {
  assert.equal(
    describeClose({ remote: true, app: true, code: 0x10c, reason: "bye", idle: false }),
    "peer closed the connection: application code 0x10c (bye)",
  );
  assert.equal(
    describeClose({ remote: false, app: false, code: 0x130, reason: "", idle: false }),
    "local closed the connection: CRYPTO_ERROR(unknown_ca)",
  );
  assert.equal(
    describeClose({ remote: false, app: false, code: 0, reason: "", idle: true }),
    "idle timeout",
  );
});
