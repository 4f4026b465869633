// End to end over real QUIC on loopback: our HTTP/3 client against our server,
// and raw QUIC peers that misbehave on purpose.
import assert from "node:assert/strict";
import { H3Client, type H3ClientOptions, H3ErrorCode, serveH3 } from "./mod.ts";
import type { H3Handler, H3ServerOptions } from "./mod.ts";
import { mintSession, type QuicConn, quicheEngine, QuicStreamError } from "../quic/mod.ts";
import { readAll, recordingRelay, trustDomain } from "../quic/testing.ts";
import { encodeFrame, encodeSettings, FrameType, StreamType } from "./frames.ts";
import { encodeFieldSection, type FieldLine } from "./qpack.ts";

const domain = await trustDomain();

async function h3Bed(
  handler: H3Handler,
  options: H3ServerOptions = {},
  clientOptions: Partial<H3ClientOptions> = {},
) {
  const listener = await quicheEngine.listen({ tls: domain.leaf, alpn: ["h3"] });
  const server = serveH3(listener, handler, options);
  const client = new H3Client({ ca: domain.ca.cert, ...clientOptions });
  return {
    listener,
    server,
    client,
    base: `https://localhost:${listener.addr.port}`,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.shutdown();
    },
  };
}

const echo: H3Handler = async (req, info) => {
  const url = new URL(req.url);
  if (url.pathname === "/throw") throw new Error("handler failure");
  if (url.pathname === "/big") return new Response(new Uint8Array(1024 * 1024).fill(7));
  if (url.pathname === "/too-early" && info.earlyData) return new Response(null, { status: 425 });
  const body = req.body ? new Uint8Array(await req.arrayBuffer()) : new Uint8Array(0);
  return new Response(body.byteLength ? body : `${req.method} ${url.pathname}${url.search}`, {
    headers: { "x-early": String(info.earlyData), "x-method": req.method },
  });
};

/** A raw QUIC client speaking just enough HTTP/3 to send what it is told. */
async function rawH3(port: number): Promise<{ conn: QuicConn; close(): Promise<void> }> {
  const quic = quicheEngine.createClient();
  const conn = await quic.connect({
    hostname: "127.0.0.1",
    port,
    serverName: "localhost",
    tls: { ca: domain.ca.cert },
    alpn: ["h3"],
  });
  const control = await conn.createUnidirectionalStream();
  const writer = control.writable!.getWriter();
  await writer.write(new Uint8Array([StreamType.CONTROL]));
  await writer.write(encodeFrame(FrameType.SETTINGS, encodeSettings(new Map())));
  return { conn, close: () => quic.close() };
}

const headersFrame = (lines: FieldLine[]) =>
  encodeFrame(FrameType.HEADERS, encodeFieldSection(lines));
const getLines: FieldLine[] = [[":method", "GET"], [":scheme", "https"], [
  ":authority",
  "localhost",
], [":path", "/"]];

/** Waits (up to a second) for `check` to hold: for effects the server records just after. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

async function sendRaw(conn: QuicConn, ...frames: Uint8Array[]) {
  const stream = await conn.createBidirectionalStream();
  const writer = stream.writable!.getWriter();
  for (const frame of frames) await writer.write(frame);
  await writer.close();
  return stream;
}

Deno.test("H3: GET and POST round trips, with headers and status", async () => {
  await using bed = await h3Bed(echo);
  const get = await bed.client.fetch(`${bed.base}/hello?x=1`, { headers: { "x-custom": "yes" } });
  assert.equal(get.status, 200);
  assert.equal(await get.text(), "GET /hello?x=1");
  assert.equal(get.headers.get("x-method"), "GET");
  const post = await bed.client.fetch(`${bed.base}/echo`, { method: "POST", body: "payload" });
  assert.equal(await post.text(), "payload");
  const head = await bed.client.fetch(`${bed.base}/h`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
});

Deno.test("H3: a 1 MB response body and a 1 MB request body stream", async () => {
  await using bed = await h3Bed(echo);
  const response = await bed.client.fetch(`${bed.base}/big`);
  const body = new Uint8Array(await response.arrayBuffer());
  assert.equal(body.byteLength, 1024 * 1024);
  assert.ok(body.every((b) => b === 7));
  const upload = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
  const echoed = new Uint8Array(
    await (await bed.client.fetch(`${bed.base}/up`, { method: "PUT", body: upload })).arrayBuffer(),
  );
  assert.deepEqual(echoed, upload);
});

Deno.test("H3: 100 concurrent requests on one connection all complete", async () => {
  await using bed = await h3Bed(echo);
  const bodies = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) => bed.client.fetch(`${bed.base}/r${i}`).then((r) => r.text()),
    ),
  );
  bodies.forEach((body, i) => assert.equal(body, `GET /r${i}`));
  assert.equal(bed.server.counters.connections, 1);
});

Deno.test("H3: a client with a stored session sends its first request in 0-RTT", async () => {
  const sessions = new Map<string, Uint8Array>();
  await using bed = await h3Bed(echo, {}, { sessions });
  const first = await bed.client.request(`${bed.base}/one`);
  assert.equal(first.earlyData, false);
  await first.response.text();
  await eventually(() => sessions.size > 0, "the client stored a session ticket");
  const other = new H3Client({ ca: domain.ca.cert, sessions });
  try {
    const second = await other.request(`${bed.base}/two`);
    assert.equal(second.earlyData, true);
    assert.equal(second.earlyDataAccepted, true);
    assert.equal(second.response.headers.get("x-early"), "true");
    assert.equal(await second.response.text(), "GET /two");
  } finally {
    await other.close();
  }
});

Deno.test("H3: earlyData 'idempotent' keeps POST out of 0-RTT; 425 Too Early is retried once after the handshake", async () => {
  const sessions = new Map<string, Uint8Array>();
  await using bed = await h3Bed(echo, {}, { sessions });
  await (await bed.client.fetch(`${bed.base}/warm`)).text();
  await eventually(() => sessions.size > 0, "the client stored a session ticket");
  const cautious = new H3Client({ ca: domain.ca.cert, sessions, earlyData: "idempotent" });
  const eager = new H3Client({ ca: domain.ca.cert, sessions });
  try {
    const post = await cautious.request(`${bed.base}/p`, { method: "POST", body: "x" });
    assert.equal(post.earlyData, false, "POST waited for the handshake");
    await post.response.text();
    const tooEarly = await eager.request(`${bed.base}/too-early`, { method: "POST", body: "once" });
    assert.equal(tooEarly.retried, true);
    assert.equal(tooEarly.response.status, 200);
    assert.equal(await tooEarly.response.text(), "once");
  } finally {
    await cautious.close();
    await eager.close();
  }
});

Deno.test("H3: a throwing handler gives 500 and the connection keeps serving", async () => {
  await using bed = await h3Bed(echo);
  assert.equal((await bed.client.fetch(`${bed.base}/throw`)).status, 500);
  assert.equal(await (await bed.client.fetch(`${bed.base}/after`)).text(), "GET /after");
});

Deno.test("H3: bodies over the limit get 413, declared or streamed", async () => {
  await using bed = await h3Bed(echo, { maxBodySize: 1000 });
  const declared = await bed.client.fetch(`${bed.base}/b`, {
    method: "POST",
    body: new Uint8Array(2000),
  });
  assert.equal(declared.status, 413);
  await declared.body?.cancel();
  assert.equal(
    await (await bed.client.fetch(`${bed.base}/ok`, { method: "POST", body: "small" })).text(),
    "small",
  );
});

Deno.test("H3: a header section over SETTINGS_MAX_FIELD_SECTION_SIZE gets 431", async () => {
  await using bed = await h3Bed(echo, { maxFieldSectionSize: 1024 });
  const response = await bed.client.fetch(`${bed.base}/h`, {
    headers: { "x-big": "v".repeat(2000) },
  });
  assert.equal(response.status, 431);
  await response.body?.cancel();
  assert.ok((bed.server.counters.errors.get(H3ErrorCode.H3_EXCESSIVE_LOAD) ?? 0) >= 1);
});

Deno.test("H3: the server opens only its control stream, no QPACK streams (RFC 9204 §4.2)", async () => {
  await using bed = await h3Bed(echo);
  const raw = await rawH3(bed.listener.addr.port);
  try {
    const stream = await sendRaw(raw.conn, headersFrame(getLines));
    const response = await readAll(stream.readable!);
    assert.ok(response.byteLength > 0, "the request without our QPACK streams was answered");
    const incoming = raw.conn.incomingUnidirectionalStreams.getReader();
    const first = await incoming.read();
    assert.equal((await first.value!.read())?.[0], StreamType.CONTROL);
    // Anything else the server opened left with or before the response.
    const next = await Promise.race([
      incoming.read(),
      new Promise<"none">((r) => setTimeout(() => r("none"), 100)),
    ]);
    assert.equal(next, "none");
    incoming.releaseLock();
  } finally {
    await raw.close();
  }
});

Deno.test("H3: a GET on a new 0-RTT connection costs the server at most four datagrams, and the client no padded 16 KiB one", async () => {
  const sessions = new Map<string, Uint8Array>();
  await using bed = await h3Bed(echo, {}, { sessions });
  await (await bed.client.fetch(`${bed.base}/ticket`)).text();
  await eventually(() => sessions.size > 0, "the client stored a session ticket");
  await using relay = recordingRelay(bed.listener.addr.port);
  const fresh = new H3Client({
    ca: domain.ca.cert,
    sessions: new Map([[`https://localhost:${relay.port}`, sessions.values().next().value!]]),
    pool: false,
  });
  try {
    const result = await fresh.request(`https://localhost:${relay.port}/early`);
    assert.equal(await result.response.text(), "GET /early");
    assert.equal(result.earlyDataAccepted, true);
    await result.done;
    await new Promise((r) => setTimeout(r, 50)); // HANDSHAKE_DONE, which follows the client's Finished
    // Its Initial flight, its control stream, the response, HANDSHAKE_DONE: no
    // QPACK streams, and no ACK of its own for the 0-RTT request.
    const fromServer = relay.datagrams.filter((d) => !d.toServer);
    assert.ok(fromServer.length <= 4, `the server sent ${fromServer.length} datagrams`);
    // Datagrams that carry a client Initial are padded (RFC 9000 §14.1), but to 1452 bytes at most.
    const longHeader = relay.datagrams.filter((d) => d.toServer && (d.bytes[0] & 0x80) !== 0);
    assert.ok(longHeader.length >= 2, "the client sent its Initial and its Finished");
    for (const d of longHeader) {
      assert.ok(d.bytes.byteLength <= 1452, `${d.bytes.byteLength} bytes`);
    }
  } finally {
    await fresh.close();
  }
});

Deno.test("H3: DATA before HEADERS closes that connection with H3_FRAME_UNEXPECTED; others are served", async () => {
  await using bed = await h3Bed(echo);
  const raw = await rawH3(bed.listener.addr.port);
  try {
    await sendRaw(raw.conn, encodeFrame(FrameType.DATA, new Uint8Array([1, 2, 3])));
    const info = await raw.conn.closed;
    assert.equal(info.code, H3ErrorCode.H3_FRAME_UNEXPECTED);
    assert.equal(info.remote, true);
    assert.equal(await (await bed.client.fetch(`${bed.base}/still`)).text(), "GET /still");
  } finally {
    await raw.close();
  }
});

Deno.test("H3: a second HEADERS after trailers closes the connection with H3_FRAME_UNEXPECTED", async () => {
  await using bed = await h3Bed(echo);
  const raw = await rawH3(bed.listener.addr.port);
  try {
    const post: FieldLine[] = [[":method", "POST"], ...getLines.slice(1)];
    await sendRaw(
      raw.conn,
      headersFrame(post),
      headersFrame([["x-trailer", "1"]]),
      headersFrame([["x-again", "1"]]),
    );
    assert.equal((await raw.conn.closed).code, H3ErrorCode.H3_FRAME_UNEXPECTED);
  } finally {
    await raw.close();
  }
});

Deno.test("H3: missing or invalid pseudo-headers reset the stream with H3_MESSAGE_ERROR", async () => {
  await using bed = await h3Bed(echo);
  const raw = await rawH3(bed.listener.addr.port);
  try {
    for (
      const lines of [getLines.slice(1), [...getLines, [":path", "/again"]], [...getLines, [
        "Upper",
        "x",
      ]]] as FieldLine[][]
    ) {
      const stream = await sendRaw(raw.conn, headersFrame(lines));
      await assert.rejects(readAll(stream.readable!), (error: unknown) => {
        assert.ok(error instanceof QuicStreamError);
        assert.equal(error.code, H3ErrorCode.H3_MESSAGE_ERROR);
        return true;
      });
    }
    assert.equal(bed.server.counters.errors.get(H3ErrorCode.H3_MESSAGE_ERROR), 3);
    // The connection itself is fine.
    const ok = await sendRaw(raw.conn, headersFrame(getLines));
    assert.ok((await readAll(ok.readable!)).byteLength > 0);
  } finally {
    await raw.close();
  }
});

Deno.test("H3: malformed QPACK closes the connection with QPACK_DECOMPRESSION_FAILED", async () => {
  await using bed = await h3Bed(echo);
  const raw = await rawH3(bed.listener.addr.port);
  try {
    await sendRaw(raw.conn, encodeFrame(FrameType.HEADERS, new Uint8Array([0, 0, 0x80]))); // dynamic index
    assert.equal((await raw.conn.closed).code, H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
  } finally {
    await raw.close();
  }
});

Deno.test("H3: a request body shorter than its content-length is H3_MESSAGE_ERROR", async () => {
  let seen: unknown = null;
  await using bed = await h3Bed(async (req) => {
    try {
      await req.arrayBuffer();
    } catch (error) {
      seen = error;
    }
    return new Response("unreachable");
  });
  const raw = await rawH3(bed.listener.addr.port);
  try {
    const post: FieldLine[] = [[":method", "POST"], ...getLines.slice(1), ["content-length", "10"]];
    const stream = await sendRaw(
      raw.conn,
      headersFrame(post),
      encodeFrame(FrameType.DATA, new Uint8Array(4)),
    );
    await assert.rejects(
      readAll(stream.readable!),
      (error: unknown) => (error as QuicStreamError).code === H3ErrorCode.H3_MESSAGE_ERROR,
    );
    assert.ok(seen, "the handler saw its body fail");
  } finally {
    await raw.close();
  }
});

Deno.test("H3: shutdown() sends GOAWAY and lets an in-flight request finish", async () => {
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const listener = await quicheEngine.listen({ tls: domain.leaf, alpn: ["h3"] });
  const server = serveH3(listener, async () => {
    started.resolve();
    await release.promise;
    return new Response("finished");
  });
  const client = new H3Client({ ca: domain.ca.cert });
  try {
    const slow = client.fetch(`https://localhost:${listener.addr.port}/slow`);
    await started.promise;
    const stopping = server.shutdown();
    await new Promise((r) => setTimeout(r, 20));
    release.resolve();
    assert.equal(await (await slow).text(), "finished");
    await stopping;
  } finally {
    await client.close();
  }
});

Deno.test("H3: a client that resets its stream mid-body ends only that request, and is counted", async () => {
  const failure = Promise.withResolvers<unknown>();
  await using bed = await h3Bed(async (req) => {
    if (req.method === "GET") return new Response("still serving");
    try {
      await req.arrayBuffer();
    } catch (error) {
      failure.resolve(error);
    }
    return new Response("unreachable");
  });
  const raw = await rawH3(bed.listener.addr.port);
  try {
    const stream = await raw.conn.createBidirectionalStream();
    const writer = stream.writable!.getWriter();
    await writer.write(
      headersFrame([[":method", "POST"], ...getLines.slice(1), ["content-length", "100"]]),
    );
    await writer.write(encodeFrame(FrameType.DATA, new Uint8Array(10)));
    await new Promise((r) => setTimeout(r, 20));
    await writer.abort({ code: H3ErrorCode.H3_REQUEST_CANCELLED });
    const error = await failure.promise;
    assert.ok(error instanceof QuicStreamError, `the handler's body failed with ${error}`);
    assert.equal((error as QuicStreamError).code, H3ErrorCode.H3_REQUEST_CANCELLED);
    await eventually(
      () => (bed.server.counters.errors.get(H3ErrorCode.H3_REQUEST_CANCELLED) ?? 0) >= 1,
      "the reset was counted",
    );
    const ok = await sendRaw(raw.conn, headersFrame(getLines));
    assert.ok((await readAll(ok.readable!)).byteLength > 0, "the same connection still serves");
  } finally {
    await raw.close();
  }
});

Deno.test("H3: a client that stops reading holds the response producer to the flow-control window", async () => {
  let produced = 0;
  const cancelled = Promise.withResolvers<void>();
  const chunk = new Uint8Array(64 * 1024);
  await using bed = await h3Bed((req) => {
    if (new URL(req.url).pathname !== "/endless") return new Response("still serving");
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          produced += chunk.byteLength;
          controller.enqueue(chunk);
        },
        cancel() {
          cancelled.resolve();
        },
      }, { highWaterMark: 0 }),
    );
  });
  const raw = await rawH3(bed.listener.addr.port);
  try {
    const stream = await sendRaw(
      raw.conn,
      headersFrame(getLines.map(([n, v]) => [n, n === ":path" ? "/endless" : v])),
    );
    await new Promise((r) => setTimeout(r, 300));
    const first = produced;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(produced, first, "production stopped while nobody reads");
    // The client's stream window is 4 MiB; a few chunks more sit in quiche and the pipe.
    assert.ok(produced <= 4 * 1024 * 1024 + 4 * chunk.byteLength, `produced ${produced} bytes`);
    await stream.readable!.cancel({ code: H3ErrorCode.H3_REQUEST_CANCELLED }); // STOP_SENDING
    await cancelled.promise;
    await eventually(
      () => (bed.server.counters.errors.get(H3ErrorCode.H3_REQUEST_CANCELLED) ?? 0) >= 1,
      "the STOP_SENDING was counted",
    );
    assert.equal(await (await bed.client.fetch(`${bed.base}/next`)).text(), "still serving");
  } finally {
    await raw.close();
  }
});

Deno.test("H3: a request sent with a session the server cannot decrypt is answered, and reported as not accepted", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const listener = await quicheEngine.listen({ tls: { ...domain.leaf, ticketKey }, alpn: ["h3"] });
  const server = serveH3(listener, echo);
  const origin = `https://localhost:${listener.addr.port}`;
  // A session minted for another ticket key: 0-RTT is attempted and refused.
  const stale = mintSession({
    server: { ...domain.leaf, ticketKey: crypto.getRandomValues(new Uint8Array(48)) },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ["h3"],
  });
  const client = new H3Client({ ca: domain.ca.cert, sessions: new Map([[origin, stale]]) });
  try {
    const result = await client.request(`${origin}/stale`);
    assert.equal(result.earlyData, true, "sent in 0-RTT");
    assert.equal(result.earlyDataAccepted, false, "the server refused the session");
    assert.equal(
      result.response.headers.get("x-early"),
      "false",
      "so the server saw it after the handshake",
    );
    assert.equal(await result.response.text(), "GET /stale");
  } finally {
    await client.close();
    await server.shutdown();
  }
});

Deno.test("H3: a request the server rejects with H3_REQUEST_REJECTED is sent once more", async () => {
  // A minimal HTTP/3 server by hand: it refuses the first request stream, as a
  // server past its GOAWAY id does (RFC 9114 §5.2), and answers the next one.
  const listener = await quicheEngine.listen({ tls: domain.leaf, alpn: ["h3"] });
  const serving = (async () => {
    const conn = (await listener.accept())!;
    const control = await conn.createUnidirectionalStream();
    await control.write(
      new Uint8Array([
        StreamType.CONTROL,
        ...encodeFrame(FrameType.SETTINGS, encodeSettings(new Map())),
      ]),
    );
    let seen = 0;
    for await (const stream of conn.incomingBidirectionalStreams) {
      if (++seen === 1) {
        stream.stopSending(H3ErrorCode.H3_REQUEST_REJECTED);
        stream.reset(H3ErrorCode.H3_REQUEST_REJECTED);
        continue;
      }
      await stream.write(headersFrame([[":status", "200"]]));
      await stream.write(encodeFrame(FrameType.DATA, new TextEncoder().encode("second try")), true);
    }
  })();
  const client = new H3Client({ ca: domain.ca.cert });
  try {
    const result = await client.request(`https://localhost:${listener.addr.port}/x`, {
      method: "POST",
      body: "once",
    });
    assert.equal(result.retried, true);
    assert.equal(result.response.status, 200);
    assert.equal(await result.response.text(), "second try");
  } finally {
    await client.close();
    await listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("serveH3() gives the request body as a byte stream: BYOB reads fill the reader's buffer, default reads get chunks of their own", async () => {
  const pattern = (i: number) => (i * 7 + (i >> 8)) & 0xff;
  const size = 300_000;
  // Frames of many sizes, small ones several to a read, so frame headers fall
  // inside reads and across their ends.
  const frames: Uint8Array[] = [];
  for (let at = 0, n = 1; at < size; n = (n * 5 + 3) % 9000 + 1) {
    const length = Math.min(n, size - at);
    frames.push(
      encodeFrame(FrameType.DATA, new Uint8Array(length).map((_, i) => pattern(at + i))),
    );
    at += length;
  }
  const check = (bytes: Uint8Array, from: number) => {
    for (let i = 0; i < bytes.byteLength; i++) {
      if (bytes[i] !== pattern(from + i)) return false;
    }
    return true;
  };
  await using bed = await h3Bed(async (req) => {
    if (new URL(req.url).pathname === "/byob") {
      const reader = req.body!.getReader({ mode: "byob" });
      let buffer = new ArrayBuffer(1000); // one buffer, handed back and forth
      let total = 0;
      let intact = true;
      for (;;) {
        const { value, done } = await reader.read(new Uint8Array(buffer, 3, 997));
        if (done) break;
        intact &&= check(value, total);
        total += value.byteLength;
        buffer = value.buffer as ArrayBuffer;
      }
      return Response.json({ total, intact });
    }
    const chunks: Uint8Array[] = [];
    const reader = req.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    // Every chunk kept is still what it was when it was handed over.
    let total = 0;
    let intact = true;
    for (const chunk of chunks) {
      intact &&= check(chunk, total);
      total += chunk.byteLength;
    }
    return Response.json({ total, intact });
  });
  const raw = await rawH3(bed.listener.addr.port);
  try {
    for (const path of ["/byob", "/default"]) {
      const post: FieldLine[] = [[":method", "POST"], ...getLines.slice(1, 3), [":path", path]];
      const stream = await sendRaw(raw.conn, headersFrame(post), ...frames);
      const answer = new TextDecoder().decode(await readAll(stream.readable!));
      assert.match(answer, new RegExp(`"total":${size},"intact":true`), path);
    }
  } finally {
    await raw.close();
  }
});
