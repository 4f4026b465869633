import assert from "node:assert/strict";
import fc from "fast-check";
import { ControlReader } from "./control_reader.ts";
import { encodeFrame, encodeSettings, encodeSingleVarint, FrameType } from "./frames.ts";
import { H3Error, H3ErrorCode } from "./errors.ts";

const settings = encodeFrame(FrameType.SETTINGS, encodeSettings(new Map([[6, 4096]])));
const goaway = (id: number) => encodeFrame(FrameType.GOAWAY, encodeSingleVarint(id));
const code = (expected: number) => (error: unknown) => {
  assert.ok(error instanceof H3Error, `expected H3Error, got ${error}`);
  assert.equal(error.code, expected);
  assert.equal(error.scope, "connection");
  return true;
};

Deno.test("ControlReader reads SETTINGS, then GOAWAY ids that never grow", () => {
  const reader = new ControlReader("client");
  assert.deepEqual(reader.push(settings), [{ kind: "settings", settings: new Map([[6, 4096]]) }]);
  assert.deepEqual(reader.push(goaway(8)), [{ kind: "goaway", id: 8 }]);
  assert.deepEqual(reader.push(goaway(4)), [{ kind: "goaway", id: 4 }]);
  assert.throws(() => reader.push(goaway(12)), code(H3ErrorCode.H3_ID_ERROR));
});

Deno.test("ControlReader: a first frame other than SETTINGS is H3_MISSING_SETTINGS", () => {
  assert.throws(
    () => new ControlReader("server").push(goaway(0)),
    code(H3ErrorCode.H3_MISSING_SETTINGS),
  );
});

Deno.test("ControlReader: a second SETTINGS, DATA or HEADERS is H3_FRAME_UNEXPECTED", () => {
  for (
    const frame of [
      settings,
      encodeFrame(FrameType.DATA, new Uint8Array(1)),
      encodeFrame(FrameType.HEADERS, new Uint8Array(2)),
    ]
  ) {
    const reader = new ControlReader("server");
    reader.push(settings);
    assert.throws(() => reader.push(frame), code(H3ErrorCode.H3_FRAME_UNEXPECTED));
  }
});

Deno.test("ControlReader: a server's GOAWAY must name a client bidi stream; MAX_PUSH_ID only reaches servers", () => {
  const client = new ControlReader("client");
  client.push(settings);
  assert.throws(() => client.push(goaway(5)), code(H3ErrorCode.H3_ID_ERROR));
  const another = new ControlReader("client");
  another.push(settings);
  assert.throws(
    () => another.push(encodeFrame(FrameType.MAX_PUSH_ID, encodeSingleVarint(1))),
    code(H3ErrorCode.H3_FRAME_UNEXPECTED),
  );
  const server = new ControlReader("server");
  server.push(settings);
  assert.deepEqual(server.push(encodeFrame(FrameType.MAX_PUSH_ID, encodeSingleVarint(3))), [{
    kind: "max_push_id",
    id: 3,
  }]);
});

Deno.test("ControlReader: closing the control stream is H3_CLOSED_CRITICAL_STREAM", () => {
  assert.throws(
    () => new ControlReader("server").finish(),
    code(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM),
  );
});

Deno.test("ControlReader: oversized frames close the connection, and random bytes throw only H3Error", () => {
  const reader = new ControlReader("server");
  reader.push(settings);
  assert.throws(
    () => reader.push(encodeFrame(FrameType.GOAWAY, new Uint8Array(20000))),
    code(H3ErrorCode.H3_EXCESSIVE_LOAD),
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      new ControlReader("server").push(bytes);
    } catch (error) {
      assert.ok(error instanceof H3Error, `unexpected ${error}`);
    }
  }));
});
