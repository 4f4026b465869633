import assert from "node:assert/strict";
import { BatchedDatagrams, DATAGRAM_IO_ENV, formatIpv6, writeSockaddr } from "./datagram_io.ts";
import { quicheEngine } from "./quiche_engine.ts";
import { echoBed, recordingRelay, trustDomain } from "./testing.ts";
import { readAll, writeAll } from "./_test_helpers.ts";
import type { QuicListener } from "./engine.ts";

const domain = trustDomain();

Deno.test("writeSockaddr() and formatIpv6() write and read addresses as the kernel and Deno do", () => {
  const out = new Uint8Array(28);
  assert.equal(writeSockaddr(out, { host: "127.0.0.1", port: 8443 }), 16);
  assert.deepEqual([...out.subarray(0, 8)], [2, 0, 0x20, 0xfb, 127, 0, 0, 1]);
  for (
    const [host, text] of [
      ["::1", "::1"],
      ["::", "::"],
      ["fe80::1", "fe80::1"],
      ["[2001:db8::1]", "2001:db8::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:DB8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"],
      ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
      ["fe80::1%lo", "fe80::1"],
    ]
  ) {
    assert.equal(writeSockaddr(out, { host, port: 1 }), 28, host);
    assert.equal(out[0], 10, host);
    assert.equal(formatIpv6(out, 8), text, host);
  }
  for (
    const bad of ["1.2.3", "1.2.3.256", "1.2.3.x", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ""]
  ) {
    assert.equal(writeSockaddr(out, { host: bad, port: 1 }), 0, bad);
  }
});

Deno.test("BatchedDatagrams: a flight leaves in one call, each datagram whole and in order, GSO runs split where they were", async () => {
  const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const batch = BatchedDatagrams.open(a.addr as Deno.NetAddr);
  try {
    assert.ok(batch, "FFI and the socket are available here");
    const to = { host: "127.0.0.1", port: (b.addr as Deno.NetAddr).port };
    // A GSO run (three of 1200, one shorter), one of another size, then one more run.
    const lengths = [1200, 1200, 1200, 700, 90, 1452, 1452];
    for (let i = 0; i < lengths.length; i++) batch.sendSlot(i).fill(i + 1, 0, lengths[i]);
    assert.equal(batch.send(lengths.length, lengths, lengths.map(() => to)), lengths.length);
    for (let i = 0; i < lengths.length; i++) {
      const [data] = await b.receive();
      assert.equal(data.byteLength, lengths[i], `datagram ${i}`);
      assert.ok(data.every((byte) => byte === i + 1), `datagram ${i}'s bytes`);
    }
    // And back: what has arrived is drained in one receive, with who sent it.
    for (let i = 0; i < 5; i++) {
      await b.send(new Uint8Array(100 + i).fill(9), a.addr);
    }
    let received = 0;
    for (let tries = 0; received === 0 && tries < 50; tries++) {
      received = batch.receive();
      if (received === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(received, 5);
    for (let i = 0; i < 5; i++) {
      assert.equal(batch.datagram(i).byteLength, 100 + i);
      assert.deepEqual(batch.from(i), to);
    }
    assert.equal(batch.receive(), 0, "nothing more: no wait, no error");
  } finally {
    batch?.close();
    a.close();
    b.close();
  }
});

/** Sends `size` random bytes over an echo stream (through `relay`'s port if given) and back. */
async function roundTrip(size: number, options: { dropEvery?: number; relay?: boolean } = {}) {
  const bed = await echoBed(quicheEngine, await domain);
  await using _ = bed;
  await using relay = recordingRelay(bed.listener.addr.port);
  relay.dropEvery = options.dropEvery ?? 0;
  const conn = await bed.connect(options.relay ? { port: relay.port } : {});
  const stream = await conn.createBidirectionalStream();
  const sent = crypto.getRandomValues(new Uint8Array(size > 65536 ? 65536 : size));
  const body = new Uint8Array(size);
  for (let at = 0; at < size; at += sent.byteLength) body.set(sent.subarray(0, size - at), at);
  const [, echoed] = await Promise.all([
    writeAll(stream.writable!, body),
    readAll(stream.readable!),
  ]);
  return { body, echoed, listener: bed.listener, conn };
}

async function withDatagramIo<T>(mode: "batched" | "ops", run: () => Promise<T>): Promise<T> {
  const before = Deno.env.get(DATAGRAM_IO_ENV);
  Deno.env.set(DATAGRAM_IO_ENV, mode);
  try {
    return await run();
  } finally {
    if (before === undefined) Deno.env.delete(DATAGRAM_IO_ENV);
    else Deno.env.set(DATAGRAM_IO_ENV, before);
  }
}

function assertBatched(listener: QuicListener, batched: boolean) {
  const { batchedSends, batchedReceives, datagramsOut } = listener.counters;
  if (!batched) {
    assert.equal(batchedSends + batchedReceives, 0, "the ops path makes no batched call");
    return;
  }
  assert.ok(batchedSends > 0 && batchedReceives > 0, "batched calls both ways");
  assert.ok(
    datagramsOut > batchedSends,
    `more than one datagram per send call (${datagramsOut} in ${batchedSends})`,
  );
}

for (const mode of ["batched", "ops"] as const) {
  Deno.test(`QUIC over ${mode} datagram I/O: 2 MiB in, the same 2 MiB out`, async () => {
    await withDatagramIo(mode, async () => {
      const { body, echoed, listener } = await roundTrip(2 * 1024 * 1024);
      assert.equal(echoed.byteLength, body.byteLength);
      assert.ok(echoed.every((byte, i) => byte === body[i]), "the same bytes");
      assertBatched(listener, mode === "batched");
    });
  });

  Deno.test(`QUIC over ${mode} datagram I/O through a lossy relay (every 25th datagram lost): the same bytes`, async () => {
    await withDatagramIo(mode, async () => {
      const { body, echoed, conn } = await roundTrip(512 * 1024, { relay: true, dropEvery: 25 });
      assert.ok(
        echoed.every((byte, i) => byte === body[i]) && echoed.byteLength === body.byteLength,
      );
      assert.ok(conn.stats().lost > 0, "some packets were lost and sent again");
    });
  });
}

Deno.test("an endpoint opened after FFI is revoked keeps Deno's ops, and works", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { QuicEndpoint } from ${
        JSON.stringify(new URL("./endpoint.ts", import.meta.url).href)
      };
       Deno.permissions.revokeSync({ name: "ffi" });
       const endpoint = new QuicEndpoint("127.0.0.1");
       console.log(JSON.stringify(endpoint.datagramIo));
       await endpoint.close();`,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const { stdout, stderr, success } = await child.output();
  assert.ok(success, new TextDecoder().decode(stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), { path: "ops", gso: false });
});
