/**
 * The conformance suite every `QuicEngine` must pass, whatever implements it
 * (quiche today; Deno's built-in QUIC could join). Engine-specific behaviour
 * (session minting, listener counters) is tested beside each engine.
 *
 * Call `testEngineConformance(engine)` from a `_test.ts` file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { QuicHandshakeError, QuicStreamError } from "./errors.ts";
import type { QuicEngine } from "./engine.ts";
import {
  command,
  connectOptions,
  echoBed,
  readAll,
  request,
  TEST_ALPN,
  trustDomain,
  writeAll,
} from "./_test_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Registers the conformance tests for `engine`, named "<engine>: …". */
export function testEngineConformance(engine: QuicEngine): void {
  const domain = trustDomain();
  const test = (name: string, fn: () => Promise<void>) => Deno.test(`${engine.name}: ${name}`, fn);

  test("1-RTT round trip over IPv4 and IPv6", async () => {
    for (const hostname of ["127.0.0.1", "::1"]) {
      await using bed = await echoBed(engine, await domain, { hostname });
      const conn = await bed.connect();
      const stream = await conn.createBidirectionalStream();
      assert.equal(conn.earlyData, false, "no session: the stream waited for the handshake");
      assert.equal(conn.established, true);
      assert.equal(stream.earlyData, false);
      await writeAll(stream.writable!, encoder.encode(`hello over ${hostname}`));
      assert.equal(decoder.decode(await readAll(stream.readable!)), `hello over ${hostname}`);
      assert.equal(conn.protocol, TEST_ALPN[0]);
      assert.equal(conn.earlyDataAccepted, false);
    }
  });

  test("a resumed session sends its first stream as 0-RTT", async () => {
    await using bed = await echoBed(engine, await domain);
    const sessions: Uint8Array[] = [];
    const first = await bed.connect({ onSession: (s) => sessions.push(s) });
    assert.equal(await command(first, "one"), "one");
    // The ticket follows the handshake; wait for it if it is still in flight.
    for (let i = 0; i < 50 && sessions.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(sessions.length >= 1, "onSession delivered a session after the handshake");
    const second = await bed.connect({ session: sessions.at(-1) });
    const stream = await second.createBidirectionalStream();
    assert.equal(second.earlyData, true, "the stream opened before the handshake completed");
    assert.equal(stream.earlyData, true, "its first bytes go out as 0-RTT");
    await writeAll(stream.writable!, encoder.encode("two"));
    assert.equal(decoder.decode(await readAll(stream.readable!)), "two");
    assert.equal(second.resumed, true);
    assert.equal(second.earlyDataAccepted, true);
  });

  test("a certificate from another CA, or for another name, fails the handshake clearly", async () => {
    await using bed = await echoBed(engine, await domain);
    const stranger = await trustDomain("Some other CA");
    const conn = await bed.connect({ tls: { ca: stranger.ca.cert } });
    await assert.rejects(conn.handshake, (error: unknown) => {
      assert.ok(error instanceof QuicHandshakeError);
      assert.match(error.message, /handshake with 127\.0\.0\.1:\d+ failed: .*unknown_ca/);
      return true;
    });
    await assert.rejects(conn.createBidirectionalStream(), QuicHandshakeError);
    const misnamed = await bed.connect({ serverName: "not-localhost" });
    await assert.rejects(misnamed.handshake, /bad_certificate/);
  });

  test("unidirectional streams flow both ways, and the server can open streams too", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const served = (async () => {
        const conn = (await listener.accept())!;
        const incoming = (await conn.incomingUnidirectionalStreams.getReader().read()).value!;
        assert.equal(incoming.writable, null, "a peer's unidirectional stream cannot be written");
        const text = decoder.decode(await readAll(incoming.readable!));
        const uni = await conn.createUnidirectionalStream();
        assert.equal(uni.readable, null, "our unidirectional stream cannot be read");
        await writeAll(uni.writable!, encoder.encode(`uni:${text}`));
        const bidi = await conn.createBidirectionalStream();
        await writeAll(bidi.writable!, encoder.encode("server-opened"));
        return decoder.decode(await readAll(bidi.readable!));
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const out = await conn.createUnidirectionalStream();
      await writeAll(out.writable!, encoder.encode("ping"));
      const back = (await conn.incomingUnidirectionalStreams.getReader().read()).value!;
      assert.equal(decoder.decode(await readAll(back.readable!)), "uni:ping");
      const opened = (await conn.incomingBidirectionalStreams.getReader().read()).value!;
      assert.equal(opened.id % 4, 1, "a server-initiated bidirectional stream (RFC 9000 §2.1)");
      assert.equal(decoder.decode(await readAll(opened.readable!)), "server-opened");
      await writeAll(opened.writable!, encoder.encode("client-answer"));
      assert.equal(await served, "client-answer");
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("read() and write() move bytes without web streams; stopSending() and reset() carry codes", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const served = (async () => {
        const conn = (await listener.accept())!;
        const streams = conn.incomingBidirectionalStreams.getReader();
        const first = (await streams.read()).value!;
        const chunks: Uint8Array[] = [];
        for (let chunk = await first.read(); chunk !== null; chunk = await first.read()) {
          chunks.push(chunk);
        }
        await first.write(
          encoder.encode(`got ${chunks.reduce((n, c) => n + c.byteLength, 0)}`),
          true,
        );
        const second = (await streams.read()).value!;
        second.stopSending(0x77);
        second.reset(0x78);
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const stream = await conn.createBidirectionalStream();
      await stream.write(new Uint8Array(70_000));
      await stream.write(new Uint8Array(30_000), true);
      assert.equal(decoder.decode((await stream.read())!), "got 100000");
      assert.equal(await stream.read(), null, "the FIN reads as null");
      assert.throws(() => stream.readable, TypeError, "read() and readable do not mix");
      const other = await conn.createBidirectionalStream();
      await other.write(encoder.encode("ping"));
      await assert.rejects(other.read(), (error: unknown) => {
        assert.ok(error instanceof QuicStreamError);
        assert.equal(error.kind, "reset");
        assert.equal(error.code, 0x78);
        return true;
      });
      await served;
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("readInto() fills the caller's buffer, bytes counted, null at the end", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const served = (async () => {
        const conn = (await listener.accept())!;
        const stream = (await conn.incomingBidirectionalStreams.getReader().read()).value!;
        const buffer = new Uint8Array(1000); // smaller than what arrives: reads fill it whole
        await assert.rejects(stream.readInto(new Uint8Array(0)), RangeError);
        let total = 0;
        let sum = 0;
        for (let n = await stream.readInto(buffer); n !== null; n = await stream.readInto(buffer)) {
          assert.ok(n >= 1 && n <= buffer.byteLength, `read ${n} bytes`);
          total += n;
          for (let i = 0; i < n; i++) sum += buffer[i];
        }
        assert.equal(await stream.readInto(buffer), null, "still null after the end");
        await stream.write(encoder.encode(`${total} ${sum}`), true);
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const stream = await conn.createBidirectionalStream();
      const body = new Uint8Array(100_000).map((_, i) => i % 251);
      const sum = body.reduce((a, b) => a + b, 0);
      await stream.write(body, true);
      assert.equal(decoder.decode(await readAll(stream.readable!)), `100000 ${sum}`);
      await served;
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("stopSending() ends a pending read() or readInto() as done, and the readable as closed", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const accepted = (async () => {
        const conn = (await listener.accept())!;
        const streams = conn.incomingBidirectionalStreams.getReader();
        return [(await streams.read()).value!, (await streams.read()).value!];
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const direct = await conn.createBidirectionalStream();
      const web = await conn.createBidirectionalStream();
      await direct.write(encoder.encode("a"));
      await web.write(encoder.encode("b"));
      await accepted; // the server holds both streams and sends nothing back
      const read = direct.read();
      const webRead = web.readable!.getReader().read();
      const pending = Symbol("pending");
      const settled = (p: Promise<unknown>) =>
        Promise.race([p, new Promise((r) => setTimeout(() => r(pending), 50))]);
      assert.equal(await settled(read), pending, "nothing to read yet");
      direct.stopSending(0x55);
      web.stopSending(0x56);
      assert.equal(await settled(read), null, "the pending read() ends as done");
      assert.deepEqual(await settled(webRead), { done: true, value: undefined });
      assert.equal(await direct.read(), null);
      const third = await conn.createBidirectionalStream();
      const into = third.readInto(new Uint8Array(10));
      third.stopSending(0x57);
      assert.equal(await settled(into), null, "the pending readInto() ends as done");
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("a write waiting for credit fails when the peer stops it, though its answer was read to the end", async () => {
    // The peer answers and sends STOP_SENDING in one packet, as an HTTP/3 server
    // answering early does (RFC 9114 §4.1.2); reading the answer to its end lets
    // quiche 0.18 forget the stream, and its writer got "Done" forever.
    const listener = await engine.listen({
      tls: (await domain).leaf,
      alpn: TEST_ALPN,
      limits: { streamWindow: 64 * 1024 },
    });
    const client = engine.createClient();
    try {
      const served = (async () => {
        const conn = (await listener.accept())!;
        const stream = (await conn.incomingBidirectionalStreams.getReader().read()).value!;
        await stream.read(); // some of it, then an answer without reading the rest
        stream.stopSending(0x1ab);
        await stream.write(encoder.encode("answered early"), true);
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const stream = await conn.createBidirectionalStream();
      const writing = (async () => {
        const chunk = new Uint8Array(16 * 1024);
        for (let i = 0; i < 64; i++) await stream.write(chunk); // 1 MiB: far past the window
        return "wrote all";
      })();
      // The readable drains as soon as the answer arrives: before the writer looks.
      assert.equal(decoder.decode(await readAll(stream.readable!)), "answered early");
      const outcome = await Promise.race([
        writing.then((v) => v, (error: unknown) => error),
        new Promise((r) => setTimeout(() => r("still waiting"), 2000)),
      ]);
      assert.ok(outcome instanceof QuicStreamError, `the write ended: ${String(outcome)}`);
      assert.equal(outcome.kind, "stopped");
      assert.equal(outcome.code, 0x1ab, "with the peer's code");
      await served;
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("an ALPN the server does not speak fails the handshake", async () => {
    await using bed = await echoBed(engine, await domain);
    const conn = await bed.connect({ alpn: ["not-spoken-here"] });
    await assert.rejects(conn.handshake, /no_application_protocol/);
  });

  test("closing a listener closes its connections with a CONNECTION_CLOSE the client sees", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      await conn.handshake;
      await listener.accept();
      await listener.close();
      const info = await conn.closed;
      assert.equal(info.remote, true, "the server sent the close");
      assert.equal(info.idle, false, "not an idle timeout");
      assert.equal(await listener.accept(), null, "a closed listener accepts nothing");
    } finally {
      await client.close();
    }
  });

  test("1 MB in each direction on one stream", async () => {
    await using bed = await echoBed(engine, await domain);
    const conn = await bed.connect();
    const body = crypto.getRandomValues(new Uint8Array(65536));
    const megabyte = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 16; i++) megabyte.set(body, i * body.byteLength);
    const echoed = await request(conn, megabyte);
    assert.equal(echoed.byteLength, megabyte.byteLength);
    assert.deepEqual(echoed, megabyte);
  });

  test("100 concurrent streams on one connection", async () => {
    await using bed = await echoBed(engine, await domain);
    const conn = await bed.connect();
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => command(conn, `stream ${i}`)),
    );
    replies.forEach((reply, i) => assert.equal(reply, `stream ${i}`));
    assert.equal(bed.conns.length, 1);
  });

  test("the stream limit makes an opener wait for credit", async () => {
    await using bed = await echoBed(engine, await domain, { limits: { maxStreamsBidi: 2 } });
    const conn = await bed.connect();
    const a = await conn.createBidirectionalStream();
    const b = await conn.createBidirectionalStream();
    // A request in progress: the server has seen stream b, which stays open.
    await b.writable!.getWriter().write(encoder.encode("in progress"));
    let third = false;
    const opening = conn.createBidirectionalStream().then((s) => (third = true, s));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(third, false, "a third stream must wait for MAX_STREAMS");
    await writeAll(a.writable!, encoder.encode("done"));
    await readAll(a.readable!);
    const c = await opening;
    assert.equal(third, true);
    await writeAll(c.writable!, encoder.encode("third"));
    assert.equal(decoder.decode(await readAll(c.readable!)), "third");
  });

  test("backpressure bounds buffering when the peer does not read", async () => {
    const window = 256 * 1024;
    const listener = await engine.listen({
      tls: (await domain).leaf,
      alpn: TEST_ALPN,
      limits: { streamWindow: window },
    });
    const client = engine.createClient();
    try {
      const accepted = (async () => {
        const conn = (await listener.accept())!;
        return (await conn.incomingBidirectionalStreams.getReader().read()).value!; // never read from
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const writer = (await conn.createBidirectionalStream()).writable!.getWriter();
      const chunk = new Uint8Array(16 * 1024);
      let queued = 0;
      for (;;) {
        const write = writer.write(chunk).then(() => true);
        const stalled = new Promise<boolean>((r) => setTimeout(() => r(false), 200));
        if (!await Promise.race([write, stalled])) break;
        queued += chunk.byteLength;
        assert.ok(queued <= 4 * window, `writes kept being accepted: ${queued} bytes`);
      }
      // The peer's window plus its 64 KiB read-ahead plus what one write holds.
      assert.ok(queued <= window + 64 * 1024 + 2 * chunk.byteLength, `queued ${queued} bytes`);
      await (await accepted).readable!.cancel();
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("a stream reset by the peer errors the reader with its code", async () => {
    const listener = await engine.listen({ tls: (await domain).leaf, alpn: TEST_ALPN });
    const client = engine.createClient();
    try {
      const served = (async () => {
        const conn = (await listener.accept())!;
        const stream = (await conn.incomingBidirectionalStreams.getReader().read()).value!;
        const writer = stream.writable!.getWriter();
        await writer.write(encoder.encode("partial"));
        await writer.abort({ code: 0x10c });
      })();
      const conn = await client.connect(connectOptions(await domain, listener.addr.port));
      const stream = await conn.createBidirectionalStream();
      await stream.writable!.getWriter().write(encoder.encode("go"));
      await assert.rejects(readAll(stream.readable!), (error: unknown) => {
        assert.ok(error instanceof QuicStreamError);
        assert.equal(error.kind, "reset");
        assert.equal(error.code, 0x10c);
        return true;
      });
      await served;
    } finally {
      await client.close();
      await listener.close();
    }
  });

  test("an idle connection is closed by the idle timer", async () => {
    await using bed = await echoBed(engine, await domain, { limits: { idleTimeoutMs: 200 } });
    const conn = await bed.connect();
    assert.equal(await command(conn, "then idle"), "then idle");
    const info = await conn.closed;
    assert.equal(info.idle, true);
    await assert.rejects(conn.createBidirectionalStream(), /is closed/);
  });

  test("close() carries an application code and reason to the peer", async () => {
    await using bed = await echoBed(engine, await domain);
    const conn = await bed.connect();
    await conn.handshake;
    while (bed.conns.length === 0) await new Promise((r) => setTimeout(r, 5));
    const local = await conn.close({ code: 0x101, reason: "bye" });
    assert.deepEqual({ remote: local.remote, app: local.app, code: local.code }, {
      remote: false,
      app: true,
      code: 0x101,
    });
    const remote = await bed.conns[0].closed;
    assert.deepEqual(remote, { remote: true, app: true, code: 0x101, reason: "bye", idle: false });
  });
}
