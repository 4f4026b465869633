import assert from "node:assert/strict";
import fc from "fast-check";
import { QpackError } from "./errors.ts";
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./huffman.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.replaceAll(" ", "").match(/../g) ?? [], (b) => parseInt(b, 16));

/** RFC 7541 Appendix C.4.1-C.4.3 and C.6.1-C.6.3 Huffman-coded strings. */
const RFC_EXAMPLES: [string, string][] = [
  ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
  ["no-cache", "a8eb 1064 9cbf"],
  ["custom-key", "25a8 49e9 5ba9 7d7f"],
  ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
  ["302", "6402"],
  ["307", "640e ff"],
  ["private", "aec3 771a 4b"],
  ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
  ["Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"],
  ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
  ["gzip", "9bd9 ab"],
  [
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
  ],
];

/**
 * Code lengths from RFC 7541 Appendix B, typed out separately from the module's table. The code
 * is canonical (codes count up in order of length, then symbol), so lengths alone fix every code.
 */
const RFC_LENGTHS = [
  [13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28],
  [28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28],
  [6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6],
  [5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10],
  [13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
  [7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6],
  [15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5],
  [6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28],
  [20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23],
  [24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24],
  [22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23],
  [21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23],
  [26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25],
  [19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27],
  [20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23],
  [26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26],
  [30],
].flat();

/** Each symbol's canonical code as a string of '0'/'1', derived from `RFC_LENGTHS`. */
function canonicalCodes(): string[] {
  const order = RFC_LENGTHS.map((_, sym) => sym)
    .sort((a, b) => RFC_LENGTHS[a] - RFC_LENGTHS[b] || a - b);
  const codes: string[] = [];
  let code = 0n;
  let len = RFC_LENGTHS[order[0]];
  for (const sym of order) {
    code <<= BigInt(RFC_LENGTHS[sym] - len);
    len = RFC_LENGTHS[sym];
    codes[sym] = code.toString(2).padStart(len, "0");
    code++;
  }
  return codes;
}

const bitsToBytes = (bits: string): Uint8Array =>
  Uint8Array.from(
    bits.padEnd(Math.ceil(bits.length / 8) * 8, "1").match(/.{8}/g) ?? [],
    (b) => parseInt(b, 2),
  );

const throwsQpack = (input: Uint8Array, message: RegExp): void =>
  assert.throws(
    () => huffmanDecode(input),
    (e: unknown) => e instanceof QpackError && message.test(e.message),
  );

Deno.test("huffmanEncode() and huffmanDecode() match RFC 7541 Appendix C examples", () => {
  for (const [plain, coded] of RFC_EXAMPLES) {
    assert.deepEqual(huffmanEncode(text(plain)), hex(coded), plain);
    assert.equal(huffmanEncodedLength(text(plain)), hex(coded).length, plain);
    assert.deepEqual(huffmanDecode(hex(coded)), text(plain), plain);
  }
});

Deno.test("huffmanEncode() gives every byte its canonical RFC 7541 code, and it round-trips", () => {
  assert.equal(RFC_LENGTHS.length, 257);
  // Kraft sum of exactly 1: the lengths describe a complete prefix code.
  assert.equal(RFC_LENGTHS.reduce((sum, len) => sum + 2 ** -len, 0), 1);
  const codes = canonicalCodes();
  assert.equal(codes[256], "1".repeat(30)); // EOS
  for (let byte = 0; byte < 256; byte++) {
    const input = Uint8Array.of(byte);
    const encoded = huffmanEncode(input);
    assert.deepEqual(encoded, bitsToBytes(codes[byte]), `byte ${byte}`);
    assert.equal(huffmanEncodedLength(input), Math.ceil(RFC_LENGTHS[byte] / 8), `byte ${byte}`);
    assert.deepEqual(huffmanDecode(encoded), input, `byte ${byte}`);
  }
});

Deno.test("huffmanDecode() inverts huffmanEncode() on arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
      const encoded = huffmanEncode(input);
      assert.equal(huffmanEncodedLength(input), encoded.length);
      assert.deepEqual(huffmanDecode(encoded), input);
    }),
    { numRuns: 500 },
  );
});

Deno.test("huffmanDecode() returns bytes or throws QpackError on arbitrary input", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
      try {
        assert.ok(huffmanDecode(input) instanceof Uint8Array);
      } catch (e) {
        assert.ok(e instanceof QpackError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("huffmanDecode() decodes the empty string", () => {
  assert.deepEqual(huffmanDecode(new Uint8Array(0)), new Uint8Array(0));
  assert.deepEqual(huffmanEncode(new Uint8Array(0)), new Uint8Array(0));
  assert.equal(huffmanEncodedLength(new Uint8Array(0)), 0);
});

Deno.test("huffmanDecode() rejects padding longer than 7 bits", () => {
  throwsQpack(Uint8Array.of(...hex("a8eb 1064 9cbf"), 0xff), /longer than 7 bits/);
  throwsQpack(Uint8Array.of(0xff), /longer than 7 bits/); // 8 bits of padding and nothing else
  // "302" is 6402: 6 + 5 + 5 bits, no padding; a byte of 1s is 8 bits of padding.
  throwsQpack(Uint8Array.of(0x64, 0x02, 0xff), /longer than 7 bits/);
});

Deno.test("huffmanDecode() rejects padding that is not a prefix of EOS", () => {
  assert.deepEqual(huffmanEncode(text("0")), Uint8Array.of(0x07)); // 00000 then padding 111
  throwsQpack(Uint8Array.of(0x00), /not a prefix of EOS/); // padding cleared to 000
  throwsQpack(Uint8Array.of(0x05), /not a prefix of EOS/); // padding 101
  throwsQpack(Uint8Array.of(0x64, 0x02, 0xfe), /not a prefix of EOS/); // "302", then 1111111 0
});

Deno.test("huffmanDecode() rejects an encoded EOS symbol", () => {
  throwsQpack(Uint8Array.of(0xff, 0xff, 0xff, 0xff), /EOS/); // 30 ones, then 2 bits of padding
  throwsQpack(Uint8Array.of(0xff, 0xff, 0xff, 0xfc), /contains EOS/); // 30 ones, then 00
  // 'a' (00011), then EOS (30 ones), then 5 bits of padding.
  throwsQpack(Uint8Array.of(0x1f, 0xff, 0xff, 0xff, 0xff), /contains EOS/);
});
