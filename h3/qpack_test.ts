import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeFieldSection,
  encodeFieldSection,
  type FieldLine,
  FieldSectionTooLarge,
} from "./qpack.ts";
import { H3Error, H3ErrorCode, QpackError } from "./errors.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

const request: FieldLine[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "example.com"],
  [":path", "/index.html?q=1"],
  ["user-agent", "qfaas-test/1.0"],
  ["accept", "*/*"],
  ["x-custom", "a value with spaces and \u00e9"],
];

Deno.test("decodeFieldSection() reads RFC 9204 §B.1: a literal with a static name reference", () => {
  assert.deepEqual(decodeFieldSection(hex("0000 510b 2f69 6e64 6578 2e68 746d 6c")), [[
    ":path",
    "/index.html",
  ]]);
});

Deno.test("encodeFieldSection() round-trips through decodeFieldSection()", () => {
  assert.deepEqual(decodeFieldSection(encodeFieldSection(request)), request);
});

Deno.test("encodeFieldSection() uses the static table: GET on / is three bytes of lines", () => {
  const encoded = encodeFieldSection([[":method", "GET"], [":path", "/"], [":scheme", "https"]]);
  assert.deepEqual(encoded, hex("0000 d1 c1 d7"));
});

Deno.test("encodeFieldSection() round-trips arbitrary byte-string fields: property", () => {
  const name = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
  const value = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }).map((codes) =>
    String.fromCharCode(...codes)
  );
  fc.assert(fc.property(fc.array(fc.tuple(name, value), { maxLength: 20 }), (lines) => {
    assert.deepEqual(decodeFieldSection(encodeFieldSection(lines as FieldLine[])), lines);
  }));
});

Deno.test("decodeFieldSection() rejects every dynamic-table reference with QPACK_DECOMPRESSION_FAILED", () => {
  const cases = {
    "Required Insert Count 1": "0100",
    "indexed, dynamic (T=0)": "0000 80",
    "name reference, dynamic (T=0)": "0000 4003616263",
    "indexed, post-base": "0000 10",
    "literal with post-base name": "0000 00 03616263",
  };
  for (const [what, bytes] of Object.entries(cases)) {
    assert.throws(() => decodeFieldSection(hex(bytes)), (error: unknown) => {
      assert.ok(error instanceof QpackError, what);
      assert.equal(error.code, H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
      assert.equal(error.scope, "connection");
      return true;
    });
  }
});

Deno.test("decodeFieldSection() rejects a static index past the table and strings past the end", () => {
  assert.throws(() => decodeFieldSection(hex("0000 ff24")), QpackError); // index 63 + 36 = 99
  assert.throws(() => decodeFieldSection(hex("0000 5105 2f69")), QpackError); // 5-byte value, 2 present
  assert.throws(() => decodeFieldSection(hex("0000 2f")), QpackError); // name length prefix runs out
  assert.throws(() => decodeFieldSection(hex("00")), QpackError); // no Delta Base
});

Deno.test("decodeFieldSection() of any truncation yields a prefix of the lines or a QpackError", () => {
  const encoded = encodeFieldSection(request);
  for (let length = 0; length < encoded.byteLength; length++) {
    try {
      const lines = decodeFieldSection(encoded.subarray(0, length));
      assert.deepEqual(lines, request.slice(0, lines.length), `prefix ${length}`);
    } catch (error) {
      assert.ok(error instanceof QpackError, `prefix ${length}: ${error}`);
    }
  }
});

Deno.test("decodeFieldSection() on random bytes throws only typed h3 errors", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
    try {
      decodeFieldSection(bytes, 4096);
    } catch (error) {
      assert.ok(error instanceof H3Error, `unexpected ${error}`);
    }
  }));
});

Deno.test("decodeFieldSection() enforces the advertised field section size", () => {
  const lines: FieldLine[] = [["x-big", "v".repeat(1000)]];
  const encoded = encodeFieldSection(lines);
  assert.deepEqual(decodeFieldSection(encoded, 1037), lines, "5 + 1000 + 32 fits exactly");
  assert.throws(() => decodeFieldSection(encoded, 1036), FieldSectionTooLarge);
});

Deno.test("encodeFieldSection() refuses characters that are not bytes", () => {
  assert.throws(() => encodeFieldSection([["x-emoji", "\u{1f600}"]]), TypeError);
});
