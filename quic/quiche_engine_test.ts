import assert from "node:assert/strict";
import {
  mintSession,
  QuicConnectionError,
  QuicHandshakeError,
  quicheEngine,
  type QuicListenOptions,
  transportErrorName,
} from "./mod.ts";
import { ROLE_EKU } from "../pki/mod.ts";
import {
  command,
  connectOptions,
  echoBed,
  identityOf,
  readAll,
  recordingRelay,
  spawnServer,
  TEST_ALPN as ALPN,
  trustDomain,
  writeAll,
} from "./testing.ts";

import { testEngineConformance } from "./testing.ts";

testEngineConformance(quicheEngine);

// quiche-specific: session minting, ticket keys across processes, listener counters.
const domain = await trustDomain();

/** A session for `ticketKey`, minted in memory for the test domain's leaf. */
function mintFor(ticketKey: Uint8Array): Uint8Array {
  return mintSession({
    server: { ...domain.leaf, ticketKey },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ALPN,
  });
}

function connectTo(
  client: ReturnType<typeof quicheEngine.createClient>,
  port: number,
  session?: Uint8Array,
) {
  return client.connect({ ...connectOptions(domain, port), session });
}

Deno.test("mintSession(): a fresh server process accepts the pre-seeded session in 0-RTT", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const session = mintFor(ticketKey);
  const server = await spawnServer(domain, ticketKey);
  const client = quicheEngine.createClient();
  try {
    const conn = await connectTo(client, server.port, session);
    const reply = JSON.parse(await command(conn, "info"));
    assert.equal(reply.early, true, "the server process saw the request in early data");
    assert.equal(conn.earlyDataAccepted, true);
    assert.equal(conn.resumed, true);
  } finally {
    await client.close();
    await server.stop();
  }
});

Deno.test("quicheEngine: a wrong or unparsable session still gets its answer over 1-RTT", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const stale = mintFor(crypto.getRandomValues(new Uint8Array(48)));
  const server = await spawnServer(domain, ticketKey);
  const client = quicheEngine.createClient();
  try {
    const timings: Record<string, number> = {};
    for (
      const [name, session] of [["1-RTT", undefined], ["stale", stale], [
        "garbage",
        new Uint8Array(64),
      ]] as const
    ) {
      const started = performance.now();
      const conn = await connectTo(client, server.port, session);
      const reply = JSON.parse(await command(conn, "info"));
      timings[name] = performance.now() - started;
      assert.equal(reply.early, false, `${name}: the answer came over 1-RTT`);
      assert.equal(conn.earlyDataAccepted, false);
      await conn.close();
    }
    // Recorded, not asserted: machines are noisy. bench:quic holds the target.
    console.log(
      `fallback timings (ms): ${
        JSON.stringify(timings, (_, v) => typeof v === "number" ? +v.toFixed(2) : v)
      }`,
    );
  } finally {
    await client.close();
    await server.stop();
  }
});

Deno.test("quicheEngine: random datagrams are dropped and counted while the server keeps serving", async () => {
  await using bed = await echoBed(quicheEngine, domain);
  const conn = await bed.connect();
  assert.equal(await command(conn, "before"), "before");
  const junk = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target = {
    transport: "udp" as const,
    hostname: "127.0.0.1",
    port: bed.listener.addr.port,
  };
  const shapes = [
    () => crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 1400))),
    // Long header, version 1, Initial type: parses, then fails to decrypt.
    () => {
      const d = crypto.getRandomValues(new Uint8Array(1250));
      d.set([0xc3, 0, 0, 0, 1, 8], 0);
      d[14] = 8;
      return d;
    },
    // Short header addressed to no connection.
    () => crypto.getRandomValues(new Uint8Array(60)).map((b, i) => i === 0 ? 0x40 | (b & 0x3f) : b),
  ];
  for (let i = 0; i < 600; i++) await junk.send(shapes[i % shapes.length](), target);
  junk.close();
  assert.equal(await command(conn, "after"), "after");
  const counters = bed.listener.counters;
  assert.ok(counters.datagramsDropped >= 400, `dropped ${counters.datagramsDropped}`);
  assert.equal(counters.connectionsAccepted, 1, "no state was kept for junk Initials");
});

Deno.test("quicheEngine: Retry validates the address before the server keeps state", async () => {
  for (const validateAddress of [true, "always"] as const) {
    await using bed = await echoBed(quicheEngine, domain, { validateAddress });
    const conn = await bed.connect();
    assert.equal(await command(conn, "validated"), "validated");
    const counters = bed.listener.counters;
    assert.equal(counters.retriesSent, 1, `${validateAddress}: a Retry before the connection`);
    assert.equal(counters.connectionsAccepted, 1);
  }
});

/** Waits until `check` holds, polling; fails naming `what` if it never does. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/**
 * A listener that records, per stream, whether its data arrived in 0-RTT, and
 * answers each stream with what it read.
 */
async function earlyRecordingListener(options: Partial<QuicListenOptions>) {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const listener = await quicheEngine.listen({
    tls: { ...domain.leaf, ticketKey },
    alpn: ALPN,
    ...options,
  });
  const early: boolean[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const stream of conn.incomingBidirectionalStreams) {
          early.push(stream.earlyData);
          readAll(stream.readable!).then((body) => writeAll(stream.writable!, body)).catch(
            () => {},
          );
        }
      })();
    }
  })();
  return {
    listener,
    early,
    async [Symbol.asyncDispose]() {
      await listener.close();
      await serving;
    },
  };
}

Deno.test('quicheEngine: validateAddress "under-load" sends no Retry below the limit, so 0-RTT data stays early', async () => {
  await using bed = await earlyRecordingListener({ validateAddress: "under-load" });
  const client = quicheEngine.createClient();
  try {
    const sessions: Uint8Array[] = [];
    const first = await connectTo(client, bed.listener.addr.port);
    const withTicket = await client.connect({
      ...connectOptions(domain, bed.listener.addr.port),
      onSession: (session) => sessions.push(session),
    });
    assert.equal(await command(first, "one"), "one");
    assert.equal(await command(withTicket, "two"), "two");
    await eventually(() => sessions.length > 0, "the session ticket");
    const resumed = await connectTo(client, bed.listener.addr.port, sessions.at(-1));
    assert.equal(await command(resumed, "three"), "three");
    assert.equal(bed.listener.counters.retriesSent, 0);
    assert.deepEqual(bed.early, [false, false, true], "the resumed request was processed as 0-RTT");
  } finally {
    await client.close();
  }
});

Deno.test('quicheEngine: validateAddress "under-load" sends a Retry while maxUnvalidatedHandshakes handshakes are in flight', async () => {
  await using bed = await earlyRecordingListener({
    validateAddress: "under-load",
    limits: { maxUnvalidatedHandshakes: 1 },
  });
  const counters = bed.listener.counters;
  await using relay = recordingRelay(bed.listener.addr.port);
  relay.dropFromServer = true;
  const client = quicheEngine.createClient();
  try {
    // A client that never hears the server: its handshake stays in flight, unvalidated.
    const stuck = await connectTo(client, relay.port);
    await eventually(() => counters.connectionsAccepted === 1, "the first Initial");
    assert.equal(counters.retriesSent, 0, "the first handshake needed no Retry");

    const validated = await connectTo(client, bed.listener.addr.port);
    assert.equal(await command(validated, "validated"), "validated");
    assert.equal(counters.retriesSent, 1, "at the limit, a new client passed a Retry first");
    assert.equal(counters.connectionsAccepted, 2);

    // Once the stuck handshake completes, the listener is below its limit again.
    relay.dropFromServer = false;
    // Its answer means the server has its Finished: the handshake is over on both sides.
    assert.equal(await command(stuck, "late"), "late");
    const relaxed = await connectTo(client, bed.listener.addr.port);
    assert.equal(await command(relaxed, "relaxed"), "relaxed");
    assert.equal(counters.retriesSent, 1, "no Retry once no unvalidated handshake is in flight");
    assert.equal(counters.connectionsAccepted, 3);
  } finally {
    await client.close();
  }
});

Deno.test('quicheEngine: validateAddress "never" sends no Retry, even past maxUnvalidatedHandshakes', async () => {
  await using bed = await earlyRecordingListener({
    validateAddress: "never",
    limits: { maxUnvalidatedHandshakes: 0 },
  });
  const client = quicheEngine.createClient();
  try {
    const conn = await connectTo(client, bed.listener.addr.port);
    assert.equal(await command(conn, "direct"), "direct");
    assert.equal(bed.listener.counters.retriesSent, 0);
  } finally {
    await client.close();
  }
});

Deno.test("quicheEngine: an unknown version gets a Version Negotiation packet", async () => {
  await using bed = await echoBed(quicheEngine, domain);
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const probe = new Uint8Array(1200);
  probe.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9]);
  await socket.send(probe, {
    transport: "udp",
    hostname: "127.0.0.1",
    port: bed.listener.addr.port,
  });
  const [reply] = await socket.receive();
  socket.close();
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  assert.equal(reply[0] & 0x80, 0x80, "long header");
  assert.equal(view.getUint32(1), 0, "version 0 marks Version Negotiation (RFC 9000 §17.2.1)");
  const versions = [];
  for (
    let offset = 6 + reply[5] + 1 + reply[6 + reply[5]];
    offset + 4 <= reply.byteLength;
    offset += 4
  ) {
    versions.push(view.getUint32(offset));
  }
  assert.ok(versions.includes(1), `offered versions ${versions}`);
});

Deno.test("quicheEngine: 0-RTT datagrams that overtake their Initial are held, not lost", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const listener = await quicheEngine.listen({ tls: { ...domain.leaf, ticketKey }, alpn: ALPN });
  const early = (async () => {
    const conn = (await listener.accept())!;
    const stream = (await conn.incomingBidirectionalStreams.getReader().read()).value!;
    const body = await readAll(stream.readable!);
    await writeAll(stream.writable!, body);
    return stream.earlyData;
  })();
  // A relay that holds the client's first datagram (the Initial) until the next one (0-RTT) has passed it.
  const relay = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const upstream = { transport: "udp" as const, hostname: "127.0.0.1", port: listener.addr.port };
  let clientAddr: Deno.Addr | null = null;
  let held: Uint8Array | null = null;
  let passed = 0;
  const relaying = (async () => {
    try {
      for (;;) {
        const [data, from] = await relay.receive();
        if ((from as Deno.NetAddr).port === listener.addr.port) {
          await relay.send(data, clientAddr!);
          continue;
        }
        clientAddr = from;
        if (held === null && passed === 0) {
          held = data.slice();
          continue;
        }
        await relay.send(data, upstream);
        if (held && ++passed === 1) {
          await relay.send(held, upstream);
          held = null;
        }
      }
    } catch { /* relay closed */ }
  })();
  const session = mintFor(ticketKey);
  const client = quicheEngine.createClient();
  const conn = await connectTo(client, (relay.addr as Deno.NetAddr).port, session);
  assert.equal(await command(conn, "overtaken"), "overtaken");
  assert.equal(await early, true, "the held 0-RTT data was processed as early data");
  assert.ok(listener.counters.earlyDatagramsHeld >= 1);
  await client.close();
  await listener.close();
  relay.close();
  await relaying;
});

Deno.test("quicheEngine: a listener at maxConnections refuses new connections", async () => {
  await using bed = await echoBed(quicheEngine, domain, { limits: { maxConnections: 1 } });
  const first = await bed.connect();
  await first.handshake;
  const second = await bed.connect({ limits: { idleTimeoutMs: 300 } });
  await assert.rejects(second.handshake, (error: unknown) => {
    assert.ok(error instanceof QuicHandshakeError);
    assert.equal(error.info.idle, true, "the refused client gave up on its idle timer");
    return true;
  });
  assert.ok(bed.listener.counters.connectionsRefused >= 1);
  assert.equal(await command(first, "still served"), "still served");
});

// Mutual TLS: a listener that admits only clients with the invoker role, as a worker does.
const clientAuth = { ca: domain.ca.cert, extKeyUsage: ROLE_EKU.invoker };
const [invoker, workerLeaf, otherDomain] = await Promise.all([
  identityOf(domain, "invoker"),
  identityOf(domain, "worker"),
  trustDomain("Unrelated CA"),
]);
const stranger = await identityOf(otherDomain, "invoker");

/** How a refused client's connection ended: the CRYPTO_ERROR name the server closed with. */
async function refusal(conn: Awaited<ReturnType<typeof connectTo>>): Promise<string> {
  // The request cannot get an answer: the server closes before it hands the connection out.
  await assert.rejects(command(conn, "let me in"), QuicConnectionError);
  const info = await conn.closed;
  assert.equal(info.remote, true, "the server closed the connection");
  return transportErrorName(info.code);
}

Deno.test("quicheEngine: clientAuth refuses a client without a certificate at the handshake", async () => {
  await using bed = await echoBed(quicheEngine, domain, { tls: { ...domain.leaf, clientAuth } });
  const conn = await bed.connect();
  assert.equal(await refusal(conn), "CRYPTO_ERROR(certificate_required)");
  assert.equal(bed.conns.length, 0, "the listener never handed the connection out");
  assert.equal(bed.listener.counters.clientsRefused, 1);
});

Deno.test("quicheEngine: clientAuth refuses a certificate from another CA, a server's and a worker's", async () => {
  await using bed = await echoBed(quicheEngine, domain, { tls: { ...domain.leaf, clientAuth } });
  const cases: Array<[string, { cert: string; key: string }, string]> = [
    ["another CA", stranger, "CRYPTO_ERROR(unknown_ca)"],
    // serverAuth only: BoringSSL checks the TLS client purpose of the chain.
    ["a server leaf", domain.leaf, "CRYPTO_ERROR(unsupported_certificate)"],
    // clientAuth, from the right CA, but the worker role: refused by the listener's own check.
    ["a worker leaf", workerLeaf, "CRYPTO_ERROR(access_denied)"],
  ];
  for (const [label, identity, expected] of cases) {
    const conn = await bed.connect({ tls: { ca: domain.ca.cert, identity } });
    assert.equal(await refusal(conn), expected, label);
  }
  assert.equal(bed.conns.length, 0, "no refused connection reached the listener");
  assert.equal(bed.listener.counters.clientsRefused, cases.length);
});

Deno.test("quicheEngine: clientAuth admits the invoker's certificate and shows it to the server", async () => {
  await using bed = await echoBed(quicheEngine, domain, { tls: { ...domain.leaf, clientAuth } });
  const conn = await bed.connect({ tls: { ca: domain.ca.cert, identity: invoker } });
  assert.equal(await command(conn, "hello"), "hello");
  assert.equal(bed.conns.length, 1);
  const chain = bed.conns[0].peerCertificates();
  assert.ok(chain && chain.length >= 1, "the server sees the client's chain");
  assert.equal(bed.listener.counters.clientsRefused, 0);
});

Deno.test("quicheEngine: with clientAuth, a session minted with the invoker's identity is 0-RTT on the first connection", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  const tls = { ...domain.leaf, ticketKey, clientAuth };
  const session = mintSession({
    server: tls,
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ALPN,
    identity: invoker,
  });
  await using bed = await echoBed(quicheEngine, domain, { tls });
  // The client holds no identity: a resumed connection sends none, the session carries it.
  const conn = await bed.connect({ session });
  const stream = await conn.createBidirectionalStream();
  assert.equal(stream.earlyData, true, "the request went out in 0-RTT");
  await writeAll(stream.writable!, new TextEncoder().encode("early"));
  assert.equal(new TextDecoder().decode(await readAll(stream.readable!)), "early");
  assert.equal(conn.earlyDataAccepted, true);
  assert.equal(bed.conns.length, 1);
  assert.ok(bed.conns[0].peerCertificates(), "the server sees the session's certificate");
});

Deno.test("quicheEngine: with clientAuth, a session without a certificate is refused though BoringSSL would resume it", async () => {
  const ticketKey = crypto.getRandomValues(new Uint8Array(48));
  // Minted by a server with the same ticket key that asked for no certificate.
  const bare = mintSession({
    server: { ...domain.leaf, ticketKey },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ALPN,
  });
  // Minted for a worker's certificate: valid, from the CA, but not the invoker.
  const asWorker = mintSession({
    server: { ...domain.leaf, ticketKey, clientAuth: { ca: domain.ca.cert } },
    ca: domain.ca.cert,
    serverName: "localhost",
    alpn: ALPN,
    identity: workerLeaf,
  });
  await using bed = await echoBed(quicheEngine, domain, {
    tls: { ...domain.leaf, ticketKey, clientAuth },
  });
  for (
    const [session, expected] of [
      [bare, "CRYPTO_ERROR(certificate_required)"],
      [asWorker, "CRYPTO_ERROR(access_denied)"],
    ] as const
  ) {
    const conn = await bed.connect({ session, tls: { ca: domain.ca.cert, identity: invoker } });
    assert.equal(await refusal(conn), expected);
    assert.equal(conn.resumed, true, "BoringSSL resumed the session; the listener refused it");
  }
  assert.equal(bed.conns.length, 0, "no stream of the refused 0-RTT flights was served");
  assert.equal(bed.listener.counters.clientsRefused, 2);
});

Deno.test("mintSession(): refuses to mint for a clientAuth server without an identity, or with one it would refuse", () => {
  const server = {
    ...domain.leaf,
    ticketKey: crypto.getRandomValues(new Uint8Array(48)),
    clientAuth,
  };
  const base = { server, ca: domain.ca.cert, serverName: "localhost", alpn: ALPN };
  assert.throws(() => mintSession(base), /requires a client certificate and received no identity/);
  assert.throws(
    () => mintSession({ ...base, identity: workerLeaf }),
    /would refuse the client identity: client certificate lacks the extended key usage/,
  );
  assert.throws(
    () => mintSession({ ...base, identity: stranger }),
    /handshake failed: CRYPTO_ERROR\(unknown_ca\)/,
  );
});
