/**
 * QUIC variable-length integers (RFC 9000 §16), as HTTP/3 frames and stream
 * headers use them. Values above 2^53 − 1 decode to the nearest number: only
 * ignorable reserved types reach that range, and lengths that large are
 * rejected anyway.
 *
 * @module
 */

/** Varints carry values below this (2^62). */
export const VARINT_LIMIT = 2 ** 62;

/** Bytes needed to encode `value`. */
export function varintLength(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= VARINT_LIMIT) {
    throw new RangeError(`Cannot encode a varint: received ${value}`);
  }
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** Writes `value` at `offset`; returns the offset after it. `out` must have room. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  const length = varintLength(value);
  switch (length) {
    case 1:
      out[offset] = value;
      break;
    case 2:
      out[offset] = 0x40 | (value >>> 8);
      out[offset + 1] = value & 0xff;
      break;
    case 4:
      new DataView(out.buffer, out.byteOffset + offset, 4).setUint32(0, value);
      out[offset] |= 0x80;
      break;
    default: {
      const view = new DataView(out.buffer, out.byteOffset + offset, 8);
      view.setUint32(0, Math.floor(value / 2 ** 32));
      view.setUint32(4, value >>> 0);
      out[offset] |= 0xc0;
    }
  }
  return offset + length;
}

/** Encodes `value` on its own. */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** A decoded varint and how many bytes it took. */
export interface Varint {
  value: number;
  length: number;
}

/** Reads a varint at `offset`; null when `input` ends before it does (need more data). */
export function readVarint(input: Uint8Array, offset = 0): Varint | null {
  if (offset >= input.byteLength) return null;
  const first = input[offset];
  const length = 1 << (first >> 6);
  if (offset + length > input.byteLength) return null;
  let value = first & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + input[offset + i];
  return { value, length };
}
