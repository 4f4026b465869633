import assert from "node:assert/strict";
import { growSocketBuffers, SOCKET_BUFFER_BYTES, socketBuffers } from "./socket_buffers.ts";

const DATAGRAM = 16 * 1024;

function udp(hostname = "127.0.0.1"): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
}

/** Sends `count` datagrams to a socket nobody reads, then counts what it kept. */
async function kept(receiver: Deno.DatagramConn, count: number): Promise<number> {
  const sender = udp();
  const to = receiver.addr as Deno.NetAddr;
  for (let i = 0; i < count; i++) await sender.send(new Uint8Array(DATAGRAM), to);
  sender.close();
  let received = 0;
  const buffer = new Uint8Array(DATAGRAM);
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = await Promise.race([
      receiver.receive(buffer),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 100))),
    ]);
    clearTimeout(timer);
    if (next === null) return received;
    received++;
  }
}

Deno.test("growSocketBuffers: the socket keeps a burst that overflows the default buffer", async () => {
  const small = udp();
  const large = udp();
  try {
    const before = socketBuffers(large.addr as Deno.NetAddr);
    const granted = growSocketBuffers(large.addr as Deno.NetAddr);
    assert.ok(before && granted, "the socket Deno opened was found");
    assert.ok(granted.receive > before.receive, `receive ${before.receive} → ${granted.receive}`);
    assert.ok(granted.send > before.send, `send ${before.send} → ${granted.send}`);
    // Linux grants at least twice its default maximum (208 KiB), even unprivileged.
    assert.ok(granted.receive >= 2 * 212_992 || granted.receive >= SOCKET_BUFFER_BYTES);
    // The default holds 12 of these; the grown buffer all 20 (~350 KiB with overhead).
    assert.ok(await kept(small, 20) < 20, "the default buffer drops part of the burst");
    assert.equal(await kept(large, 20), 20);
  } finally {
    small.close();
    large.close();
  }
});

Deno.test("growSocketBuffers: changes only the socket bound to that port, in that family", () => {
  const v4 = udp();
  const v6 = udp("::1");
  const other = udp();
  try {
    const untouched = socketBuffers(other.addr as Deno.NetAddr)!;
    assert.ok(growSocketBuffers(v6.addr as Deno.NetAddr));
    assert.ok(growSocketBuffers(v4.addr as Deno.NetAddr));
    assert.deepEqual(socketBuffers(other.addr as Deno.NetAddr), untouched);
    const unbound = { transport: "udp", hostname: "127.0.0.1", port: 9 } as const;
    assert.equal(growSocketBuffers(unbound), null);
  } finally {
    v4.close();
    v6.close();
    other.close();
  }
});
