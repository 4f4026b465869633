import assert from "node:assert/strict";
import { RetryTokens } from "./retry_token.ts";

const peer = { host: "192.0.2.7", port: 4433 };
const odcid = Uint8Array.from({ length: 8 }, (_, i) => i + 1);
const scid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

Deno.test("RetryTokens.validate() returns the original DCID of a token it minted", () => {
  const tokens = new RetryTokens();
  const token = tokens.mint(peer, odcid, scid, 1_000);
  assert.deepEqual(tokens.validate(token, peer, scid, 1_001), odcid);
});

Deno.test("RetryTokens.validate() rejects every truncation of a valid token", () => {
  const tokens = new RetryTokens();
  const token = tokens.mint(peer, odcid, scid, 1_000);
  for (let length = 0; length < token.byteLength; length++) {
    assert.equal(
      tokens.validate(token.subarray(0, length), peer, scid, 1_001),
      null,
      `prefix ${length}`,
    );
  }
});

Deno.test("RetryTokens.validate() rejects a token with any single bit flipped", () => {
  const tokens = new RetryTokens();
  const token = tokens.mint(peer, odcid, scid, 1_000);
  for (let bit = 0; bit < token.byteLength * 8; bit++) {
    const forged = token.slice();
    forged[bit >> 3] ^= 1 << (bit & 7);
    assert.equal(tokens.validate(forged, peer, scid, 1_001), null, `bit ${bit}`);
  }
});

Deno.test("RetryTokens.validate() rejects another address, another SCID, another key, and expiry", () => {
  const tokens = new RetryTokens({ lifetimeMs: 10_000 });
  const token = tokens.mint(peer, odcid, scid, 1_000);
  assert.equal(tokens.validate(token, { ...peer, port: 4434 }, scid, 1_001), null);
  assert.equal(tokens.validate(token, { ...peer, host: "192.0.2.8" }, scid, 1_001), null);
  assert.equal(tokens.validate(token, peer, scid.map((b) => b ^ 1), 1_001), null);
  assert.equal(new RetryTokens().validate(token, peer, scid, 1_001), null);
  assert.deepEqual(tokens.validate(token, peer, scid, 11_000), odcid, "valid until its expiry");
  assert.equal(tokens.validate(token, peer, scid, 11_001), null, "expired");
});

Deno.test("RetryTokens.validate() never throws on random bytes", () => {
  const tokens = new RetryTokens();
  for (let i = 0; i < 2000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 80)));
    assert.equal(tokens.validate(bytes, peer, scid), null);
  }
});
