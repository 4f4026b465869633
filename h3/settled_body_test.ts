import assert from "node:assert/strict";
import { settleBody } from "./settled_body.ts";
import { readAll } from "../quic/testing.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("settleBody: a body made from a string or bytes is complete at once", async () => {
  const fromString = await settleBody(new Response("hello").body!, 1024);
  assert.ok("bytes" in fromString);
  assert.equal(text(fromString.bytes), "hello");
  const fromBytes = await settleBody(new Response(new Uint8Array(3000).fill(65)).body!, 4096);
  assert.ok("bytes" in fromBytes);
  assert.equal(fromBytes.bytes.byteLength, 3000);
  const queued = await settleBody(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.enqueue(new Uint8Array([2]));
        controller.close();
      },
    }),
    8,
  );
  assert.ok("bytes" in queued, "a stream whose chunks and end are queued");
  assert.deepEqual([...queued.bytes], [1, 2]);
});

Deno.test("settleBody: a live stream comes back whole, first chunk included, without waiting", async () => {
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const live = new ReadableStream<Uint8Array>({
    start(controller) {
      push = controller;
      controller.enqueue(new TextEncoder().encode("first "));
    },
  });
  const settled = await settleBody(live, 1024);
  assert.ok("stream" in settled, "its end is not here yet");
  push.enqueue(new TextEncoder().encode("second"));
  push.close();
  assert.equal(text(await readAll(settled.stream)), "first second");
});

Deno.test("settleBody: a body over maxBytes streams, nothing lost", async () => {
  const settled = await settleBody(new Response("x".repeat(5000)).body!, 1000);
  assert.ok("stream" in settled);
  assert.equal(text(await readAll(settled.stream)), "x".repeat(5000));
});

Deno.test("settleBody: cancelling the returned stream cancels the source", async () => {
  let cancelled: unknown = null;
  const source = new ReadableStream<Uint8Array>({
    pull() {},
    cancel(reason) {
      cancelled = reason;
    },
  });
  const settled = await settleBody(source, 10);
  assert.ok("stream" in settled);
  await settled.stream.cancel("stop");
  assert.equal(cancelled, "stop");
});
