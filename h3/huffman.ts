/**
 * The static Huffman code of HPACK (RFC 7541 Appendix B), which QPACK reuses
 * for string literals (RFC 9204 §4.1.2): encoder, exact length, and decoder.
 *
 * @module
 */

import { QpackError } from "./errors.ts";

/** Symbol 256: end of string; never valid inside a string, its prefix pads the last byte. */
const EOS = 256;

/** Code of each symbol 0..256, right-aligned (RFC 7541 Appendix B, "code as hex"). */
// deno-fmt-ignore
const CODES: readonly number[] = [
  // 0x00..0x1f: control characters
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  // 0x20..0x3f: space ! " # $ % & ' ( ) * + , - . / 0-9 : ; < = > ?
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  // 0x40..0x5f: @ A-Z [ \ ] ^ _
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  // 0x60..0x7f: ` a-z { | } ~ DEL
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  // 0x80..0xff
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  // 0x100: EOS
  0x3fffffff,
];

/** Bit length of each symbol's code, 5..30, in the same order as `CODES`. */
// deno-fmt-ignore
const LENGTHS: Uint8Array = Uint8Array.of(
  // 0x00..0x7f
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 0x80..0xff
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // 0x100: EOS
  30,
);

// Decoder: the code tree's 256 internal nodes are the states of a machine that
// eats 4 bits at a time. No code is shorter than 5 bits, so one nibble
// completes at most one symbol. State 0 is the root.
const EMIT_NONE = -1;
const EMIT_FAIL = -2;
/** Next state for `(state << 4) | nibble`. */
const NEXT = new Uint8Array(256 * 16);
/** Symbol completed by `(state << 4) | nibble`, or EMIT_NONE, or EMIT_FAIL (EOS seen). */
const EMIT = new Int16Array(256 * 16);
/** For each state: how many 1 bits lead to it from the root if all are 1s, else -1. */
const ONES_DEPTH = new Int8Array(256).fill(-1);

{
  // Children of internal node n at 2n (bit 0) and 2n+1 (bit 1): a node id > 0,
  // a leaf as ~symbol (< 0), or 0 for none (the root is nobody's child).
  const child = new Int32Array(256 * 2);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    let node = 0;
    for (let bit = LENGTHS[sym] - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((CODES[sym] >>> bit) & 1);
      if (bit === 0) child[slot] = ~sym;
      else node = child[slot] > 0 ? child[slot] : (child[slot] = nodes++);
    }
  }
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let emit = EMIT_NONE;
      for (let bit = 3; bit >= 0 && emit !== EMIT_FAIL; bit--) {
        const next = child[2 * node + ((nibble >>> bit) & 1)];
        if (next > 0) node = next;
        else if (next === 0 || ~next === EOS) emit = EMIT_FAIL;
        else {
          emit = ~next;
          node = 0;
        }
      }
      NEXT[(state << 4) | nibble] = node;
      EMIT[(state << 4) | nibble] = emit;
    }
  }
  for (let node = 0, depth = 0; node > 0 || depth === 0; node = child[2 * node + 1], depth++) {
    ONES_DEPTH[node] = depth;
  }
}

/** Exact size in bytes of `huffmanEncode(input)`, so callers can pick Huffman only when shorter. */
export function huffmanEncodedLength(input: Uint8Array, length = input.length): number {
  let bits = 0;
  for (let i = 0; i < length; i++) bits += LENGTHS[input[i]];
  return Math.ceil(bits / 8);
}

/** Huffman-encodes `input`, padding the last byte with 1s (the start of EOS) per RFC 7541 §5.2. */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(input));
  huffmanEncodeInto(input, input.length, out, 0);
  return out;
}

/**
 * Huffman-encodes the first `length` bytes of `input` into `out` from
 * `offset`, which must have room for `huffmanEncodedLength(input, length)`
 * bytes; returns the offset after them. The allocation-free form, for QPACK's
 * encoder, which writes straight into its field section.
 */
export function huffmanEncodeInto(
  input: Uint8Array,
  length: number,
  out: Uint8Array,
  offset: number,
): number {
  let o = offset;
  let acc = 0; // pending bits, fewer than 8 between symbols
  let n = 0; // number of pending bits in `acc`
  for (let i = 0; i < length; i++) {
    const code = CODES[input[i]];
    let len = LENGTHS[input[i]];
    // Feed at most 24 bits at a time so `acc` stays within 32 bits.
    if (len > 24) {
      acc = (acc << (len - 16)) | (code >>> 16);
      n += len - 16;
      while (n >= 8) out[o++] = acc >>> (n -= 8);
      acc &= (1 << n) - 1;
      len = 16;
    }
    acc = (acc << len) | (code & ((1 << len) - 1));
    n += len;
    while (n >= 8) out[o++] = acc >>> (n -= 8);
    acc &= (1 << n) - 1;
  }
  if (n > 0) out[o++] = (acc << (8 - n)) | (0xff >>> n);
  return o;
}

/**
 * Decodes a Huffman-encoded string. Throws `QpackError` if it holds EOS, or its padding is
 * longer than 7 bits or not all 1s (RFC 7541 §5.2); never throws anything else.
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanDecodedMax(input.length));
  return out.slice(0, huffmanDecodeInto(input, out));
}

/** The most bytes `length` bytes of Huffman code can decode to (the shortest code is 5 bits). */
export function huffmanDecodedMax(length: number): number {
  return Math.floor((length * 8) / 5);
}

/**
 * Decodes like `huffmanDecode`, into `out` (at least `huffmanDecodedMax`
 * bytes long), and returns how many bytes it wrote: the allocation-free
 * form, for QPACK's decoder. Throws as `huffmanDecode` does.
 */
export function huffmanDecodeInto(input: Uint8Array, out: Uint8Array): number {
  let o = 0;
  let state = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    let t = (state << 4) | (byte >>> 4);
    let emit = EMIT[t];
    if (emit >= 0) out[o++] = emit;
    else if (emit === EMIT_FAIL) throw new QpackError("Huffman string contains EOS");
    state = NEXT[t];
    t = (state << 4) | (byte & 0xf);
    emit = EMIT[t];
    if (emit >= 0) out[o++] = emit;
    else if (emit === EMIT_FAIL) throw new QpackError("Huffman string contains EOS");
    state = NEXT[t];
  }
  const padding = ONES_DEPTH[state];
  if (padding < 0) throw new QpackError("Huffman padding is not a prefix of EOS");
  if (padding > 7) throw new QpackError("Huffman padding longer than 7 bits");
  return o;
}
