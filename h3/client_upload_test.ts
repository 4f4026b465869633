// Streamed request bodies over real QUIC on loopback: order, backpressure,
// which bodies ride 0-RTT, and what a refusal does to a body that streams.
import assert from "node:assert/strict";
import {
  H3Client,
  type H3ClientOptions,
  H3ErrorCode,
  H3RefusedError,
  type H3ServerOptions,
  serveH3,
} from "./mod.ts";
import type { H3Handler } from "./mod.ts";
import { mintSession, quicheEngine, type QuicStreamLike, TICKET_KEY_LENGTH } from "../quic/mod.ts";
import { trustDomain } from "../quic/testing.ts";
import { encodeFrame, encodeSettings, FrameType, StreamType } from "./frames.ts";
import { type MessageEvent, MessageReader } from "./message_reader.ts";
import { encodeFieldSection, type FieldLine } from "./qpack.ts";

const domain = await trustDomain();
const KiB = 1024;
const MiB = 1024 * KiB;

/** A server and a client that holds a session for it, so its first request may be 0-RTT. */
async function bed(
  handler: H3Handler,
  options: H3ServerOptions = {},
  clientOptions: Partial<H3ClientOptions> = {},
) {
  const ticketKey = crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH));
  const listener = await quicheEngine.listen({ tls: { ...domain.leaf, ticketKey }, alpn: ["h3"] });
  const server = serveH3(listener, handler, options);
  const base = `https://localhost:${listener.addr.port}`;
  const session = mintSession({
    server: { ...domain.leaf, ticketKey },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ["h3"],
  });
  const client = new H3Client({
    ca: domain.ca.cert,
    sessions: new Map([[base, session]]),
    ...clientOptions,
  });
  return {
    base,
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.shutdown();
    },
  };
}

/** Byte `i` of every test body. */
const patternAt = (i: number) => i % 251;

/** A body of `total` patterned bytes made on demand in `chunk`-sized pieces, with its counters. */
function patterned(total: number, chunk = 64 * KiB) {
  const state = { produced: 0, cancelled: Promise.withResolvers<unknown>() };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.produced >= total) return controller.close();
      const size = Math.min(chunk, total - state.produced);
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = patternAt(state.produced + i);
      state.produced += size;
      controller.enqueue(bytes);
    },
    cancel(reason) {
      state.cancelled.resolve(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** `size` patterned bytes in memory. */
const patternBytes = (size: number) => new Uint8Array(size).map((_, i) => patternAt(i));

/** `stream`, each chunk arriving a timer tick later, as from a socket: nothing is in memory yet. */
function live(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 1));
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/** Reads a body and checks it is the pattern, in order; returns its length. */
async function checkPattern(body: ReadableStream<Uint8Array>): Promise<number> {
  let offset = 0;
  for await (const chunk of body) {
    for (let i = 0; i < chunk.byteLength; i++) {
      if (chunk[i] !== patternAt(offset + i)) {
        throw new Error(`byte ${offset + i} is ${chunk[i]}, expected ${patternAt(offset + i)}`);
      }
    }
    offset += chunk.byteLength;
  }
  return offset;
}

/** Answers with what arrived: length, whether in order, the declared length and 0-RTT. */
const counting: H3Handler = async (req, info) => {
  const bytes = req.body ? await checkPattern(req.body) : 0;
  return Response.json({
    bytes,
    contentLength: req.headers.get("content-length"),
    early: info.earlyData,
  });
};

Deno.test("H3Client.request() streams a body whole and in order, without a content-length", async () => {
  await using b = await bed(counting);
  const { stream, state } = patterned(8 * MiB + 123, 61 * KiB);
  const result = await b.client.request(`${b.base}/up`, { method: "POST", body: stream });
  assert.equal(result.response.status, 200);
  assert.deepEqual(await result.response.json(), {
    bytes: 8 * MiB + 123,
    contentLength: null,
    early: false,
  });
  assert.equal(state.produced, 8 * MiB + 123);
});

Deno.test("H3Client.request() passes a streamed body's declared content-length on", async () => {
  await using b = await bed(counting);
  const { stream } = patterned(300 * KiB);
  const response = await b.client.fetch(`${b.base}/up`, {
    method: "PUT",
    body: stream,
    headers: { "content-length": String(300 * KiB) },
  });
  assert.deepEqual(await response.json(), {
    bytes: 300 * KiB,
    contentLength: String(300 * KiB),
    early: false,
  });
});

Deno.test("H3Client.request() sends in 0-RTT only bodies of known length within the replay window", async () => {
  await using b = await bed(counting, {}, { replayWindow: 64 * KiB });
  const small = patternBytes(64 * KiB);
  const cases: [string, () => RequestInit | Request, boolean][] = [
    ["no body", () => ({ method: "GET" }), true],
    ["bytes within the window", () => ({ method: "POST", body: small }), true],
    ["bytes over the window", () => ({ method: "POST", body: patternBytes(64 * KiB + 1) }), false],
    [
      "a stream declaring a length within the window",
      () => ({
        method: "POST",
        body: patterned(1000).stream,
        headers: { "content-length": "1000" },
      }),
      true,
    ],
    ["a stream complete in memory", () => ({ method: "POST", body: patterned(1000).stream }), true],
    [
      "a Request made from bytes",
      () => new Request("https://x/", { method: "POST", body: patternBytes(1000) }),
      true,
    ],
    [
      "a stream in memory, over the window",
      () => ({ method: "POST", body: patterned(64 * KiB + 1, 16 * KiB).stream }),
      false,
    ],
    [
      "a live stream of unknown length",
      () => ({ method: "POST", body: live(patterned(1000).stream) }),
      false,
    ],
  ];
  for (const [what, init, early] of cases) {
    // A fresh connection each time, offered the session: only the body decides.
    await using fresh = await bed(counting, {}, { replayWindow: 64 * KiB });
    const made = init();
    const result = made instanceof Request
      ? await fresh.client.request(`${fresh.base}/x`, { method: made.method, body: made.body })
      : await fresh.client.request(`${fresh.base}/x`, made);
    assert.equal(result.earlyData, early, what);
    assert.equal((await result.response.json()).early, early, what);
  }
  // A known length is declared; a live stream of unknown length is not given one.
  const known = await b.client.fetch(`${b.base}/k`, { method: "POST", body: small });
  assert.equal((await known.json()).contentLength, String(64 * KiB));
  const inMemory = await b.client.fetch(`${b.base}/m`, {
    method: "POST",
    body: patterned(1000).stream,
  });
  assert.equal((await inMemory.json()).contentLength, "1000");
  const unknown = await b.client.fetch(`${b.base}/u`, {
    method: "POST",
    body: live(patterned(1000).stream),
  });
  assert.equal((await unknown.json()).contentLength, null);
});

Deno.test("H3Client.request() resends a small body after 425 Too Early, bytes or declared stream", async () => {
  const seen: number[] = [];
  const handler: H3Handler = async (req, info) => {
    if (info.earlyData) {
      await req.body?.cancel();
      return new Response(null, { status: 425 });
    }
    const bytes = await checkPattern(req.body!);
    seen.push(bytes);
    return Response.json({ bytes });
  };
  for (
    const init of [
      () => ({ method: "POST", body: patternBytes(5000) }),
      () => ({
        method: "POST",
        body: patterned(5000, 700).stream,
        headers: { "content-length": "5000" },
      }),
    ] as (() => RequestInit)[]
  ) {
    await using b = await bed(handler);
    const result = await b.client.request(`${b.base}/too-early`, init());
    assert.equal(result.retried, true);
    assert.equal(result.response.status, 200);
    assert.deepEqual(await result.response.json(), { bytes: 5000 });
  }
  assert.deepEqual(seen, [5000, 5000]);
});

/**
 * A hand-made HTTP/3 server that refuses request streams with
 * H3_REQUEST_REJECTED (as one past its GOAWAY id does, RFC 9114 §5.2) once
 * it has read `refuseAfter` body bytes of them, or answers 425 there when
 * `status` is 425; streams after the first `refusals` get the byte count.
 */
async function refusingServer(options: { refuseAfter: number; refusals: number; status?: 425 }) {
  const ticketKey = crypto.getRandomValues(new Uint8Array(TICKET_KEY_LENGTH));
  const listener = await quicheEngine.listen({ tls: { ...domain.leaf, ticketKey }, alpn: ["h3"] });
  const origin = `https://localhost:${listener.addr.port}`;
  const received: number[] = [];
  const serve = async (stream: QuicStreamLike, refuse: boolean) => {
    const reader = new MessageReader("request", {
      maxFieldSectionSize: 16 * KiB,
      maxFrameSize: MiB,
    });
    let bytes = 0;
    let inOrder = true;
    const take = (events: MessageEvent[]) => {
      for (const event of events) {
        if (event.kind !== "data") continue;
        for (let i = 0; i < event.chunk.byteLength; i++) {
          if (event.chunk[i] !== patternAt(bytes + i)) inOrder = false;
        }
        bytes += event.chunk.byteLength;
      }
    };
    for (;;) {
      const chunk = await stream.read();
      if (chunk === null) break;
      take(reader.push(chunk));
      if (refuse && bytes >= options.refuseAfter) {
        if (options.status === 425) {
          await stream.write(
            encodeFrame(FrameType.HEADERS, encodeFieldSection([[":status", "425"]])),
            true,
          );
          stream.stopSending(H3ErrorCode.H3_NO_ERROR);
        } else {
          stream.stopSending(H3ErrorCode.H3_REQUEST_REJECTED);
          stream.reset(H3ErrorCode.H3_REQUEST_REJECTED);
        }
        return;
      }
    }
    received.push(bytes);
    const body = new TextEncoder().encode(JSON.stringify({ bytes, inOrder }));
    const lines: FieldLine[] = [[":status", "200"], ["content-length", String(body.byteLength)]];
    await stream.write(encodeFrame(FrameType.HEADERS, encodeFieldSection(lines)));
    await stream.write(encodeFrame(FrameType.DATA, body), true);
  };
  const serving = (async () => {
    for await (const conn of listener) {
      const control = await conn.createUnidirectionalStream();
      await control.write(
        new Uint8Array([
          StreamType.CONTROL,
          ...encodeFrame(FrameType.SETTINGS, encodeSettings(new Map())),
        ]),
      );
      let seen = 0;
      (async () => {
        for await (const stream of conn.incomingBidirectionalStreams) {
          serve(stream, ++seen <= options.refusals).catch(() => {});
        }
      })().catch(() => {});
    }
  })();
  const session = mintSession({
    server: { ...domain.leaf, ticketKey },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ["h3"],
  });
  return {
    origin,
    session,
    received,
    async [Symbol.asyncDispose]() {
      await listener.close();
      await serving.catch(() => {});
    },
  };
}

Deno.test("H3Client.request() resends a streamed body refused within the replay window: kept prefix, then the rest", async () => {
  await using server = await refusingServer({ refuseAfter: 1, refusals: 1 });
  const client = new H3Client({ ca: domain.ca.cert, replayWindow: 256 * KiB });
  try {
    const { stream } = patterned(2 * MiB, 16 * KiB);
    const result = await client.request(`${server.origin}/r`, { method: "POST", body: stream });
    assert.equal(result.retried, true);
    assert.deepEqual(await result.response.json(), { bytes: 2 * MiB, inOrder: true });
  } finally {
    await client.close();
  }
});

Deno.test("H3Client.request() gives H3RefusedError when a streamed body past the replay window is rejected", async () => {
  await using server = await refusingServer({ refuseAfter: 1 * MiB, refusals: 1 });
  const client = new H3Client({ ca: domain.ca.cert, replayWindow: 64 * KiB });
  try {
    const { stream, state } = patterned(8 * MiB);
    const error = await client.request(`${server.origin}/r`, { method: "POST", body: stream }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof H3RefusedError, `got ${error}`);
    assert.equal(error.refusal, "rejected");
    assert.equal(error.twice, false);
    assert.equal(error.replayWindow, 64 * KiB);
    assert.ok(error.bodyBytesRead > 64 * KiB, `${error.bodyBytesRead} bytes read`);
    assert.match(error.message, /not sent again/);
    await state.cancelled.promise; // the producer was told to stop
    assert.deepEqual(server.received, [], "no second, truncated request went out");
  } finally {
    await client.close();
  }
});

Deno.test("H3Client.request() gives H3RefusedError on 425 when a 0-RTT stream outgrew its declared length and the window", async () => {
  await using server = await refusingServer({ refuseAfter: 200 * KiB, refusals: 1, status: 425 });
  const client = new H3Client({
    ca: domain.ca.cert,
    replayWindow: 64 * KiB,
    sessions: new Map([[server.origin, server.session]]),
  });
  try {
    // The declared length is small, so the request goes in 0-RTT; the body is not.
    const { stream } = patterned(MiB);
    const error = await client.request(`${server.origin}/r`, {
      method: "POST",
      body: stream,
      headers: { "content-length": "1000" },
    }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof H3RefusedError, `got ${error}`);
    assert.equal(error.refusal, "too-early");
    assert.deepEqual(server.received, []);
  } finally {
    await client.close();
  }
});

Deno.test("H3Client.request() refused twice gives H3RefusedError with twice set", async () => {
  await using server = await refusingServer({ refuseAfter: 0, refusals: 2 });
  const client = new H3Client({ ca: domain.ca.cert });
  try {
    await assert.rejects(
      client.request(`${server.origin}/r`, { method: "POST", body: "small" }),
      (error: unknown) =>
        error instanceof H3RefusedError && error.twice && error.refusal === "rejected",
    );
  } finally {
    await client.close();
  }
});

Deno.test("H3Client.request() holds the body producer to flow control when the server does not read", async () => {
  const release = Promise.withResolvers<void>();
  const arrived = Promise.withResolvers<void>();
  await using b = await bed(async () => {
    arrived.resolve();
    await release.promise;
    return new Response("not reading", { status: 503 });
  });
  const { stream, state } = patterned(256 * MiB);
  const answer = b.client.request(`${b.base}/stall`, { method: "POST", body: stream });
  await arrived.promise;
  await new Promise((r) => setTimeout(r, 300));
  const first = state.produced;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(state.produced, first, "production stopped while nobody reads");
  // The server's stream window is 4 MiB; the replay window and a chunk or two sit in the client.
  assert.ok(
    state.produced <= 4 * MiB + 64 * KiB + 4 * 64 * KiB,
    `produced ${state.produced} bytes`,
  );
  release.resolve();
  const result = await answer;
  assert.equal(result.response.status, 503);
  assert.equal(await result.response.text(), "not reading");
  // The server answered without reading: it stops the upload, and the producer is cancelled.
  await state.cancelled.promise;
  assert.ok(state.produced < 8 * MiB);
});

Deno.test("H3Client.request() rejects with the body's own error and leaves the connection serving", async () => {
  await using b = await bed(async (req) => {
    await req.arrayBuffer().catch(() => {});
    return new Response(req.method === "GET" ? "still serving" : "unreachable");
  });
  class Broken extends Error {}
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 3) return controller.error(new Broken("the producer broke"));
      sent++;
      controller.enqueue(new Uint8Array(1000));
    },
  }, { highWaterMark: 0 });
  // The stream is reset (H3_REQUEST_CANCELLED): the server never takes it for a whole request.
  await assert.rejects(
    b.client.request(`${b.base}/broken`, { method: "POST", body }),
    (error: unknown) => error instanceof Broken,
  );
  assert.equal(await (await b.client.fetch(`${b.base}/next`)).text(), "still serving");
});

Deno.test("serveH3() answers a body over maxBodySize with 413 and a JSON error, declared or streamed", async () => {
  await using b = await bed(counting, { maxBodySize: 100 * KiB });
  const declared = await b.client.fetch(`${b.base}/d`, {
    method: "POST",
    body: patternBytes(200 * KiB),
  });
  assert.equal(declared.status, 413);
  assert.deepEqual(await declared.json(), { error: `request body exceeds ${100 * KiB} bytes` });
  const { stream, state } = patterned(MiB);
  const streamed = await b.client.fetch(`${b.base}/s`, { method: "POST", body: stream });
  assert.equal(streamed.status, 413);
  assert.equal(streamed.headers.get("content-type"), "application/json");
  await streamed.body?.cancel();
  await state.cancelled.promise;
  const ok = await b.client.fetch(`${b.base}/ok`, { method: "POST", body: patterned(1000).stream });
  assert.equal((await ok.json()).bytes, 1000);
});
