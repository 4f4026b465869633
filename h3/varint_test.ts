import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeVarint, readVarint, VARINT_LIMIT, varintLength } from "./varint.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

Deno.test("readVarint() decodes the RFC 9000 §A.1 examples", () => {
  assert.deepEqual(readVarint(hex("c2197c5eff14e88c")), { value: 151288809941952652, length: 8 });
  assert.deepEqual(readVarint(hex("9d7f3e7d")), { value: 494878333, length: 4 });
  assert.deepEqual(readVarint(hex("7bbd")), { value: 15293, length: 2 });
  assert.deepEqual(readVarint(hex("25")), { value: 37, length: 1 });
  assert.deepEqual(
    readVarint(hex("4025")),
    { value: 37, length: 2 },
    "non-minimal encodings are valid",
  );
});

Deno.test("encodeVarint() uses the shortest encoding", () => {
  assert.deepEqual(encodeVarint(37), hex("25"));
  assert.deepEqual(encodeVarint(15293), hex("7bbd"));
  assert.deepEqual(encodeVarint(494878333), hex("9d7f3e7d"));
  assert.deepEqual([63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map(varintLength), [
    1,
    2,
    2,
    4,
    4,
    8,
  ]);
});

Deno.test("encodeVarint() rejects values it cannot carry", () => {
  for (const bad of [-1, 1.5, VARINT_LIMIT, NaN, Infinity]) {
    assert.throws(() => encodeVarint(bad), RangeError);
  }
});

Deno.test("readVarint() round-trips every safe integer it is given", () => {
  fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (n) => {
    const encoded = encodeVarint(n);
    assert.deepEqual(readVarint(encoded), { value: n, length: encoded.byteLength });
  }));
});

Deno.test("readVarint() returns null for every truncation", () => {
  fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (n) => {
    const encoded = encodeVarint(n);
    for (let i = 0; i < encoded.byteLength; i++) {
      assert.equal(readVarint(encoded.subarray(0, i)), null);
    }
  }));
});

Deno.test("readVarint() reads at an offset and never throws on random bytes", () => {
  assert.deepEqual(readVarint(hex("ff7bbd"), 1), { value: 15293, length: 2 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), fc.nat({ max: 12 }), (bytes, offset) => {
    const result = readVarint(bytes, offset);
    if (result !== null) {
      assert.ok(result.length >= 1 && offset + result.length <= bytes.byteLength);
    }
  }));
});
