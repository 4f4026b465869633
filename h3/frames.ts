/**
 * HTTP/3 frames (RFC 9114 §7): an incremental reader for one stream's bytes
 * and encoders. The reader passes DATA payloads through as they arrive (no
 * buffering of bodies), buffers other frames up to a limit, and skips
 * unknown and reserved frame types (§9).
 *
 * @module
 */
import { H3Error, H3ErrorCode } from "./errors.ts";
import { readVarint, varintLength, writeVarint } from "./varint.ts";

/** Frame types, RFC 9114 §7.2. */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** Unidirectional stream types, RFC 9114 §6.2 and RFC 9204 §4.2. */
export const StreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/** Settings identifiers, RFC 9114 §7.2.4.1 and RFC 9204 §5. */
export const Setting = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

const KNOWN_FRAMES = new Set<number>(Object.values(FrameType));
/** HTTP/2 frame types with no HTTP/3 meaning (RFC 9114 §7.2.8): receiving one is an error. */
const HTTP2_FRAMES = new Set([0x02, 0x06, 0x08, 0x09]);
/** HTTP/2 settings with no HTTP/3 meaning (RFC 9114 §7.2.4.1): receiving one is an error. */
const HTTP2_SETTINGS = new Set([0x02, 0x03, 0x04, 0x05]);
const EMPTY = new Uint8Array(0);

/** What a `FrameReader` produces. */
export type FrameEvent =
  /** A piece of a DATA frame's payload: a view of the bytes that were pushed, not a copy. */
  | { kind: "data"; chunk: Uint8Array }
  /**
   * A whole frame of a known type other than DATA. The payload may be a view
   * of the bytes pushed: read it before the next push.
   */
  | { kind: "frame"; type: number; payload: Uint8Array };

/** Reads the frames of one stream from bytes pushed in any split. */
export class FrameReader {
  #maxFrameSize: number;
  #state: "header" | "payload" | "data" | "skip" = "header";
  #pending: Uint8Array = EMPTY;
  #type = 0;
  #remaining = 0;
  #payload: Uint8Array = EMPTY;
  #filled = 0;

  /** `maxFrameSize` bounds the payload of frames that are buffered (all but DATA and unknown ones). */
  constructor(options: { maxFrameSize: number }) {
    this.#maxFrameSize = options.maxFrameSize;
  }

  /** True at a frame boundary: ending the stream here is clean (RFC 9114 §7.1). */
  get atBoundary(): boolean {
    return this.#state === "header" && this.#pending.byteLength === 0;
  }

  /** Consumes `input`; returns the events it completes. Throws `H3Error` on a malformed frame. */
  push(input: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let data = input;
    if (this.#pending.byteLength > 0) {
      data = new Uint8Array(this.#pending.byteLength + input.byteLength);
      data.set(this.#pending);
      data.set(input, this.#pending.byteLength);
      this.#pending = EMPTY;
    }
    let offset = 0;
    while (offset < data.byteLength) {
      if (this.#state === "header") {
        const type = readVarint(data, offset);
        const length = type && readVarint(data, offset + type.length);
        if (!type || !length) {
          this.#pending = data.slice(offset);
          break;
        }
        offset += type.length + length.length;
        const buffered = this.#begin(type.value, length.value, events);
        if (buffered && data.byteLength - offset >= this.#remaining) {
          // The whole payload is here: hand on a view, no buffer of its own (the common case).
          events.push({
            kind: "frame",
            type: this.#type,
            payload: data.subarray(offset, offset + this.#remaining),
          });
          offset += this.#remaining;
          this.#remaining = 0;
          this.#state = "header";
        }
        continue;
      }
      if (this.#state === "payload" && this.#filled === 0) {
        this.#payload = new Uint8Array(this.#filled + this.#remaining);
      }
      const take = Math.min(this.#remaining, data.byteLength - offset);
      if (this.#state === "data") {
        events.push({ kind: "data", chunk: data.subarray(offset, offset + take) });
      } else if (this.#state === "payload") {
        this.#payload.set(data.subarray(offset, offset + take), this.#filled);
        this.#filled += take;
      }
      offset += take;
      this.#remaining -= take;
      if (this.#remaining === 0) {
        if (this.#state === "payload") {
          events.push({ kind: "frame", type: this.#type, payload: this.#payload });
        }
        this.#state = "header";
      }
    }
    return events;
  }

  /** Starts a frame; true when its payload is to be gathered whole (state "payload"). */
  #begin(type: number, length: number, events: FrameEvent[]): boolean {
    if (HTTP2_FRAMES.has(type)) {
      throw new H3Error(
        H3ErrorCode.H3_FRAME_UNEXPECTED,
        "connection",
        `frame type 0x${type.toString(16)} is HTTP/2-only (RFC 9114 §7.2.8)`,
      );
    }
    this.#type = type;
    this.#remaining = length;
    if (type === FrameType.DATA) {
      this.#state = length > 0 ? "data" : "header";
      return false;
    }
    if (!KNOWN_FRAMES.has(type)) {
      // Unknown and reserved (0x1f * N + 0x21) types are ignored (RFC 9114 §9).
      this.#state = length > 0 ? "skip" : "header";
      return false;
    }
    if (length > this.#maxFrameSize) {
      throw new H3Error(
        H3ErrorCode.H3_EXCESSIVE_LOAD,
        "stream",
        `frame type 0x${
          type.toString(16)
        } of ${length} bytes exceeds the ${this.#maxFrameSize}-byte limit`,
      );
    }
    if (length === 0) {
      events.push({ kind: "frame", type, payload: EMPTY });
      return false;
    }
    // Buffered in `push` only if the payload is split between pushes.
    this.#state = "payload";
    this.#filled = 0;
    return true;
  }
}

/** The type and length header of a frame, to write before a payload sent separately. */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A whole frame: header and payload in one buffer. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const length = payload.byteLength;
  const out = new Uint8Array(varintLength(type) + varintLength(length) + length);
  const start = writeVarint(out, writeVarint(out, 0, type), length);
  out.set(payload, start);
  return out;
}

/** A SETTINGS frame payload from identifier → value pairs. */
export function encodeSettings(settings: ReadonlyMap<number, number>): Uint8Array {
  let length = 0;
  for (const [id, value] of settings) length += varintLength(id) + varintLength(value);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const [id, value] of settings) {
    offset = writeVarint(out, writeVarint(out, offset, id), value);
  }
  return out;
}

/**
 * Parses a SETTINGS payload. Duplicates and HTTP/2 settings are
 * H3_SETTINGS_ERROR; a truncated pair is H3_FRAME_ERROR (RFC 9114 §7.2.4).
 */
export function decodeSettings(payload: Uint8Array): Map<number, number> {
  const settings = new Map<number, number>();
  let offset = 0;
  while (offset < payload.byteLength) {
    const id = readVarint(payload, offset);
    const value = id && readVarint(payload, offset + id.length);
    if (!id || !value) {
      throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "connection", "SETTINGS ends inside a setting");
    }
    offset += id.length + value.length;
    if (HTTP2_SETTINGS.has(id.value)) {
      throw new H3Error(
        H3ErrorCode.H3_SETTINGS_ERROR,
        "connection",
        `HTTP/2 setting 0x${id.value.toString(16)}`,
      );
    }
    if (settings.has(id.value)) {
      throw new H3Error(
        H3ErrorCode.H3_SETTINGS_ERROR,
        "connection",
        `duplicate setting 0x${id.value.toString(16)}`,
      );
    }
    settings.set(id.value, value.value);
  }
  return settings;
}

/** The single varint that GOAWAY, MAX_PUSH_ID and CANCEL_PUSH carry; anything else is H3_FRAME_ERROR. */
export function decodeSingleVarint(payload: Uint8Array, frame: string): number {
  const value = readVarint(payload);
  if (!value || value.length !== payload.byteLength) {
    throw new H3Error(
      H3ErrorCode.H3_FRAME_ERROR,
      "connection",
      `${frame} must hold exactly one varint`,
    );
  }
  return value.value;
}

/** The one-varint payload of GOAWAY, MAX_PUSH_ID or CANCEL_PUSH. */
export function encodeSingleVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}
