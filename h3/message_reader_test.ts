import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes as concat } from "../quic/testing.ts";
import { type MessageEvent, MessageReader } from "./message_reader.ts";
import { encodeFrame, encodeSettings, FrameType } from "./frames.ts";
import { encodeFieldSection } from "./qpack.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";

const limits = { maxFieldSectionSize: 16 * 1024, maxFrameSize: 64 * 1024 };
const headers = encodeFrame(
  FrameType.HEADERS,
  encodeFieldSection([[":method", "POST"], [":path", "/"]]),
);
const data = (text: string) => encodeFrame(FrameType.DATA, new TextEncoder().encode(text));
const trailers = encodeFrame(FrameType.HEADERS, encodeFieldSection([["x-sum", "1"]]));
const kinds = (events: MessageEvent[]) => events.map((e) => e.kind);
const code = (expected: number) => (error: unknown) => {
  assert.ok(error instanceof H3Error, `expected H3Error, got ${error}`);
  assert.equal(error.code, expected);
  return true;
};

Deno.test("MessageReader reads headers, body, trailers and end", () => {
  const reader = new MessageReader("request", limits);
  const events = [
    ...reader.push(concat(headers, data("ab"), data("cd"), trailers)),
    ...reader.finish(),
  ];
  assert.deepEqual(kinds(events), ["headers", "data", "data", "trailers", "end"]);
});

Deno.test("MessageReader gives the same events fed one byte at a time", () => {
  const stream = concat(headers, data("hello"), trailers);
  const reader = new MessageReader("request", limits);
  const events: MessageEvent[] = [];
  for (let i = 0; i < stream.byteLength; i++) {
    events.push(...reader.push(stream.subarray(i, i + 1)));
  }
  events.push(...reader.finish());
  const body = events.flatMap((e) => e.kind === "data" ? [...e.chunk] : []);
  assert.equal(new TextDecoder().decode(new Uint8Array(body)), "hello");
  assert.deepEqual(kinds(events).filter((k) => k !== "data"), ["headers", "trailers", "end"]);
});

Deno.test("MessageReader: DATA before HEADERS is H3_FRAME_UNEXPECTED", () => {
  assert.throws(
    () => new MessageReader("request", limits).push(data("x")),
    code(H3ErrorCode.H3_FRAME_UNEXPECTED),
  );
});

Deno.test("MessageReader: HEADERS or DATA after trailers is H3_FRAME_UNEXPECTED", () => {
  for (const late of [trailers, data("x")]) {
    const reader = new MessageReader("request", limits);
    reader.push(concat(headers, trailers));
    assert.throws(() => reader.push(late), code(H3ErrorCode.H3_FRAME_UNEXPECTED));
  }
});

Deno.test("MessageReader: control frames on a request stream are H3_FRAME_UNEXPECTED", () => {
  for (
    const frame of [
      encodeFrame(FrameType.SETTINGS, encodeSettings(new Map())),
      encodeFrame(FrameType.GOAWAY, new Uint8Array([0])),
    ]
  ) {
    assert.throws(
      () => new MessageReader("request", limits).push(concat(headers, frame)),
      code(H3ErrorCode.H3_FRAME_UNEXPECTED),
    );
  }
});

Deno.test("MessageReader: PUSH_PROMISE is H3_ID_ERROR to a client and unexpected from one", () => {
  const push = encodeFrame(FrameType.PUSH_PROMISE, new Uint8Array([0, 0, 0]));
  assert.throws(
    () => new MessageReader("response", limits).push(push),
    code(H3ErrorCode.H3_ID_ERROR),
  );
  assert.throws(
    () => new MessageReader("request", limits).push(push),
    code(H3ErrorCode.H3_FRAME_UNEXPECTED),
  );
});

Deno.test("MessageReader: a stream that ends mid-frame is H3_FRAME_ERROR; before HEADERS, H3_REQUEST_INCOMPLETE", () => {
  const cut = new MessageReader("request", limits);
  cut.push(headers.subarray(0, headers.byteLength - 1));
  assert.throws(() => cut.finish(), code(H3ErrorCode.H3_FRAME_ERROR));
  assert.throws(
    () => new MessageReader("request", limits).finish(),
    code(H3ErrorCode.H3_REQUEST_INCOMPLETE),
  );
});

Deno.test("MessageReader: interim 1xx responses precede the final one", () => {
  const interim = encodeFrame(
    FrameType.HEADERS,
    encodeFieldSection([[":status", "103"], ["link", "</a>"]]),
  );
  const final = encodeFrame(FrameType.HEADERS, encodeFieldSection([[":status", "200"]]));
  const reader = new MessageReader("response", limits);
  const events = [...reader.push(concat(interim, final, data("ok"))), ...reader.finish()];
  assert.deepEqual(kinds(events), ["headers", "headers", "data", "end"]);
});

Deno.test("MessageReader: oversized header sections are refused before and after decoding", () => {
  const small = new MessageReader("request", { maxFieldSectionSize: 60, maxFrameSize: 64 * 1024 });
  const big = encodeFrame(
    FrameType.HEADERS,
    encodeFieldSection([[":method", "GET"], ["x-a", "b".repeat(100)]]),
  );
  assert.throws(() => small.push(big), code(H3ErrorCode.H3_EXCESSIVE_LOAD));
  const tinyFrames = new MessageReader("request", {
    maxFieldSectionSize: 1 << 20,
    maxFrameSize: 16,
  });
  assert.throws(() => tinyFrames.push(big), code(H3ErrorCode.H3_EXCESSIVE_LOAD));
});

Deno.test("MessageReader on random bytes throws only H3Error", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
      fc.boolean(),
      (chunks, end) => {
        const reader = new MessageReader("request", limits);
        try {
          for (const chunk of chunks) reader.push(chunk);
          if (end) reader.finish();
        } catch (error) {
          assert.ok(error instanceof H3Error, `unexpected ${error}`);
        }
      },
    ),
  );
});
