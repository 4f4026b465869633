/**
 * QPACK field sections (RFC 9204) with the static table only. We advertise
 * SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0, which RFC 9204 §3.2.3 allows: a peer
 * may then use no dynamic-table reference, and any that appears is
 * QPACK_DECOMPRESSION_FAILED. The encoder never uses the dynamic table either.
 *
 * @module
 */
import { H3Error, H3ErrorCode, QpackError } from "./errors.ts";
import {
  huffmanDecodedMax,
  huffmanDecodeInto,
  huffmanEncodedLength,
  huffmanEncodeInto,
} from "./huffman.ts";
import { findStatic, staticEntry } from "./static_table.ts";
import { FrameType } from "./frames.ts";
import { varintLength, writeVarint } from "./varint.ts";

/** A field line: lowercase name and value, as byte strings (one char per byte). */
export type FieldLine = [name: string, value: string];

/** A decoded field section larger than the limit we advertised (RFC 9114 §4.2.2). */
export class FieldSectionTooLarge extends H3Error {
  /** Creates the error; it concerns one request, not the connection. */
  constructor(size: number, limit: number) {
    super(
      H3ErrorCode.H3_EXCESSIVE_LOAD,
      "stream",
      `field section of ${size} bytes exceeds ${limit}`,
    );
    this.name = "FieldSectionTooLarge";
  }
}

/** Per-line overhead in the field section size (RFC 9114 §4.2.2, after RFC 7541 §4.1). */
const LINE_OVERHEAD = 32;

// ---- decoding ---------------------------------------------------------------

class Cursor {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.byteLength;
  }

  /** A prefixed integer (RFC 7541 §5.1) whose first byte keeps `bits` low bits. */
  integer(bits: number): number {
    if (this.done) throw new QpackError("field section ends inside an integer");
    const max = (1 << bits) - 1;
    let value = this.bytes[this.offset++] & max;
    if (value < max) return value;
    for (let shift = 0;; shift += 7) {
      if (this.done) throw new QpackError("field section ends inside an integer");
      if (shift > 49) throw new QpackError("integer too large");
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  /** A string literal whose length has a `bits`-bit prefix after the H flag at `huffmanBit`. */
  string(bits: number, huffmanBit: number): string {
    if (this.done) throw new QpackError("field section ends before a string");
    const huffman = (this.bytes[this.offset] & huffmanBit) !== 0;
    const length = this.integer(bits);
    if (this.offset + length > this.bytes.byteLength) {
      throw new QpackError("string literal runs past the field section");
    }
    const raw = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    if (!huffman) return latin1(raw);
    const decoded = scratch(huffmanDecodedMax(length));
    return latin1(decoded.subarray(0, huffmanDecodeInto(raw, decoded)));
  }
}

/**
 * One buffer for the work of a single call (a Huffman string being decoded,
 * a field value being encoded), grown as needed: coding a field section then
 * allocates nothing per string. Safe because coding never yields.
 */
let work = new Uint8Array(1024);

function scratch(size: number): Uint8Array {
  if (work.byteLength < size) work = new Uint8Array(Math.max(size, 2 * work.byteLength));
  return work;
}

/** Bytes as a byte string, one char per byte (`apply` is ~7× a spread here, per call). */
function latin1(bytes: Uint8Array): string {
  if (bytes.byteLength <= 4096) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let out = "";
  for (let i = 0; i < bytes.byteLength; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

function staticName(index: number): string {
  const entry = staticEntry(index);
  if (!entry) throw new QpackError(`static table index ${index} does not exist`);
  return entry[0];
}

/**
 * Decodes a HEADERS frame payload. Throws `QpackError` for anything malformed
 * or any dynamic-table reference, and `FieldSectionTooLarge` past `maxSize`.
 */
export function decodeFieldSection(payload: Uint8Array, maxSize = Infinity): FieldLine[] {
  const cursor = new Cursor(payload);
  // Encoded Field Section Prefix (RFC 9204 §4.5.1): Required Insert Count, then Delta Base.
  if (cursor.integer(8) !== 0) {
    throw new QpackError("dynamic table reference, but its capacity is 0");
  }
  cursor.integer(7);
  const lines: FieldLine[] = [];
  let size = 0;
  while (!cursor.done) {
    const first = payload[cursor.offset];
    let line: FieldLine;
    if (first & 0x80) {
      // Indexed field line (§4.5.2): 1 T index(6).
      if ((first & 0x40) === 0) {
        throw new QpackError("dynamic table reference, but its capacity is 0");
      }
      const entry = staticEntry(cursor.integer(6));
      if (!entry) throw new QpackError("static table index out of range");
      line = [entry[0], entry[1]];
    } else if (first & 0x40) {
      // Literal with name reference (§4.5.4): 01 N T index(4), then the value.
      if ((first & 0x10) === 0) {
        throw new QpackError("dynamic table reference, but its capacity is 0");
      }
      const name = staticName(cursor.integer(4));
      line = [name, cursor.string(7, 0x80)];
    } else if (first & 0x20) {
      // Literal with literal name (§4.5.6): 001 N H length(3), name, then the value.
      const name = cursor.string(3, 0x08);
      line = [name, cursor.string(7, 0x80)];
    } else {
      // 0001: indexed with post-base index; 0000: literal with post-base name. Both dynamic.
      throw new QpackError("post-base reference, but the dynamic table capacity is 0");
    }
    size += line[0].length + line[1].length + LINE_OVERHEAD;
    if (size > maxSize) throw new FieldSectionTooLarge(size, maxSize);
    lines.push(line);
  }
  return lines;
}

// ---- encoding ---------------------------------------------------------------

/** Where field sections are encoded, reused (and grown) from call to call; see `scratch`. */
let sectionBuffer = new Uint8Array(4096);

class Writer {
  #bytes = sectionBuffer;
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(this.#bytes.byteLength * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = sectionBuffer = grown;
  }

  /** A prefixed integer whose first byte carries `flags` above its `bits` low bits. */
  integer(flags: number, bits: number, value: number): void {
    this.#reserve(10);
    const max = (1 << bits) - 1;
    if (value < max) {
      this.#bytes[this.#length++] = flags | value;
      return;
    }
    this.#bytes[this.#length++] = flags | max;
    value -= max;
    while (value >= 0x80) {
      this.#bytes[this.#length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#bytes[this.#length++] = value;
  }

  /** A string literal, Huffman-coded when that is shorter. */
  string(flags: number, bits: number, huffmanBit: number, text: string): void {
    const length = text.length;
    const raw = scratch(length);
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) {
        throw new TypeError(`Cannot encode a field: received a non-byte character in "${text}"`);
      }
      raw[i] = code;
    }
    const huffmanLength = huffmanEncodedLength(raw, length);
    if (huffmanLength < length) {
      this.integer(flags | huffmanBit, bits, huffmanLength);
      this.#reserve(huffmanLength);
      this.#length = huffmanEncodeInto(raw, length, this.#bytes, this.#length);
    } else {
      this.integer(flags, bits, length);
      this.#reserve(length);
      this.#bytes.set(raw.subarray(0, length), this.#length);
      this.#length += length;
    }
  }

  /** The section written, as a copy of its own placed `offset` bytes into a buffer of `offset` more. */
  finish(offset = 0): Uint8Array {
    const out = new Uint8Array(offset + this.#length);
    out.set(this.#bytes.subarray(0, this.#length), offset);
    return out;
  }
}

/** Encodes field lines (names already lowercase) as a HEADERS frame payload. */
export function encodeFieldSection(lines: Iterable<FieldLine>): Uint8Array {
  return write(lines).finish();
}

/**
 * Encodes field lines as a whole HEADERS frame (RFC 9114 §7.2.2): the same
 * as `encodeFrame(FrameType.HEADERS, encodeFieldSection(lines))`, in one
 * allocation instead of three (each ~0.3–2 µs for a buffer past 64 bytes).
 */
export function encodeHeadersFrame(lines: Iterable<FieldLine>): Uint8Array {
  const writer = write(lines);
  const header = varintLength(FrameType.HEADERS) + varintLength(writer.length);
  const frame = writer.finish(header);
  writeVarint(frame, writeVarint(frame, 0, FrameType.HEADERS), writer.length);
  return frame;
}

function write(lines: Iterable<FieldLine>): Writer {
  const writer = new Writer();
  writer.integer(0, 8, 0); // Required Insert Count
  writer.integer(0, 7, 0); // S = 0, Delta Base
  for (const [name, value] of lines) {
    const match = findStatic(name, value);
    if (match?.exact) {
      writer.integer(0xc0, 6, match.index); // 1 T=1 index
    } else if (match) {
      writer.integer(0x50, 4, match.index); // 01 N=0 T=1 index
      writer.string(0, 7, 0x80, value);
    } else {
      writer.string(0x20, 3, 0x08, name); // 001 N=0 H length
      writer.string(0, 7, 0x80, value);
    }
  }
  return writer;
}
