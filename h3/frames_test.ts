import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes as concat } from "../quic/testing.ts";
import {
  decodeSettings,
  decodeSingleVarint,
  encodeFrame,
  encodeSettings,
  encodeSingleVarint,
  type FrameEvent,
  FrameReader,
  FrameType,
} from "./frames.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";

const reader = () => new FrameReader({ maxFrameSize: 1024 });
/** Joins DATA chunks into one event so that splits do not matter to comparisons. */
function normalise(events: FrameEvent[]): Array<{ kind: string; type?: number; bytes: number[] }> {
  const out: Array<{ kind: string; type?: number; bytes: number[] }> = [];
  for (const e of events) {
    if (e.kind === "data") {
      const last = out.at(-1);
      if (last?.kind === "data") last.bytes.push(...e.chunk);
      else out.push({ kind: "data", bytes: [...e.chunk] });
    } else out.push({ kind: "frame", type: e.type, bytes: [...e.payload] });
  }
  return out;
}
const code = (expected: number) => (error: unknown) => {
  assert.ok(error instanceof H3Error, `expected H3Error, got ${error}`);
  assert.equal(error.code, expected);
  return true;
};

const sample = concat(
  encodeFrame(FrameType.HEADERS, new Uint8Array([0, 0, 0xd1])),
  encodeFrame(FrameType.DATA, new TextEncoder().encode("hello")),
  encodeFrame(0x21, new Uint8Array(3)), // reserved type: skipped
  encodeFrame(FrameType.DATA, new TextEncoder().encode(" world")),
  encodeFrame(FrameType.HEADERS, new Uint8Array([0, 0])),
);
const expected = [
  { kind: "frame", type: FrameType.HEADERS, bytes: [0, 0, 0xd1] },
  { kind: "data", bytes: [...new TextEncoder().encode("hello world")] },
  { kind: "frame", type: FrameType.HEADERS, bytes: [0, 0] },
];

Deno.test("FrameReader.push() reads frames, passes DATA through and skips reserved types", () => {
  const r = reader();
  assert.deepEqual(normalise(r.push(sample)), expected);
  assert.equal(r.atBoundary, true);
});

Deno.test("FrameReader.push() gives the same frames when fed one byte at a time", () => {
  const r = reader();
  const events = [];
  for (let i = 0; i < sample.byteLength; i++) events.push(...r.push(sample.subarray(i, i + 1)));
  assert.deepEqual(normalise(events), expected);
});

Deno.test("FrameReader.push() never completes a frame from a truncated one, and never throws", () => {
  const frame = encodeFrame(FrameType.SETTINGS, encodeSettings(new Map([[6, 16384], [1, 0]])));
  for (let length = 1; length < frame.byteLength; length++) {
    const r = reader();
    assert.deepEqual(r.push(frame.subarray(0, length)), [], `prefix ${length}`);
    assert.equal(r.atBoundary, false, `prefix ${length} is mid-frame`);
  }
});

Deno.test("FrameReader.push() splits anywhere: property", () => {
  fc.assert(fc.property(fc.array(fc.nat({ max: sample.byteLength })), (cuts) => {
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    const r = reader();
    const events = [];
    let last = 0;
    for (const point of [...points, sample.byteLength]) {
      events.push(...r.push(sample.subarray(last, point)));
      last = point;
    }
    assert.deepEqual(normalise(events), expected);
  }));
});

Deno.test("FrameReader.push() rejects HTTP/2-only frame types with H3_FRAME_UNEXPECTED", () => {
  for (const type of [0x02, 0x06, 0x08, 0x09]) {
    assert.throws(
      () => reader().push(encodeFrame(type, new Uint8Array(1))),
      code(H3ErrorCode.H3_FRAME_UNEXPECTED),
    );
  }
});

Deno.test("FrameReader.push() refuses to buffer a frame larger than its limit", () => {
  const big = encodeFrame(FrameType.HEADERS, new Uint8Array(1025));
  assert.throws(() => reader().push(big.subarray(0, 4)), code(H3ErrorCode.H3_EXCESSIVE_LOAD));
  // DATA and unknown frames are streamed, never buffered, so their size is not limited here.
  const data = reader().push(encodeFrame(FrameType.DATA, new Uint8Array(5000)));
  assert.equal(data.reduce((n, e) => n + (e.kind === "data" ? e.chunk.byteLength : 0), 0), 5000);
  assert.deepEqual(reader().push(encodeFrame(0x5f, new Uint8Array(5000))), []);
});

Deno.test("FrameReader.push() on random bytes yields events or an H3Error, nothing else", () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
    const r = reader();
    try {
      for (const chunk of chunks) r.push(chunk);
    } catch (error) {
      assert.ok(error instanceof H3Error, `unexpected ${error}`);
    }
  }));
});

Deno.test("decodeSettings() round-trips and rejects duplicates and HTTP/2 settings", () => {
  const settings = new Map([[0x06, 65536], [0x01, 0], [0x07, 0], [0x2a2a, 7]]);
  assert.deepEqual(decodeSettings(encodeSettings(settings)), settings);
  const duplicate = concat(encodeSettings(new Map([[6, 1]])), encodeSettings(new Map([[6, 2]])));
  assert.throws(() => decodeSettings(duplicate), code(H3ErrorCode.H3_SETTINGS_ERROR));
  for (const id of [2, 3, 4, 5]) {
    assert.throws(
      () => decodeSettings(encodeSettings(new Map([[id, 1]]))),
      code(H3ErrorCode.H3_SETTINGS_ERROR),
    );
  }
  const encoded = encodeSettings(settings);
  assert.throws(
    () => decodeSettings(encoded.subarray(0, encoded.byteLength - 1)),
    code(H3ErrorCode.H3_FRAME_ERROR),
  );
});

Deno.test("decodeSingleVarint() takes exactly one varint", () => {
  assert.equal(decodeSingleVarint(encodeSingleVarint(1234), "GOAWAY"), 1234);
  assert.throws(
    () => decodeSingleVarint(new Uint8Array(0), "GOAWAY"),
    code(H3ErrorCode.H3_FRAME_ERROR),
  );
  assert.throws(
    () => decodeSingleVarint(new Uint8Array([1, 2]), "GOAWAY"),
    code(H3ErrorCode.H3_FRAME_ERROR),
  );
});
